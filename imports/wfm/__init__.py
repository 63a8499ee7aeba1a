"""The workforce-management systems the portal sends schedules to, one
package each: plain Python (requests, no Django)."""
