"""Reading and checking a planner's schedule file, and writing the file that
is sent: plain Python, no Django, so that it can be tested and measured alone
and used by the web process, the worker and the command line alike."""
