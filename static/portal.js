// Drag and drop onto the upload form: the dropped file goes into the same
// <input type=file>, so the form works the same with or without this script.
document.addEventListener("DOMContentLoaded", () => {
  const zone = document.querySelector("[data-dropzone]");
  if (!zone) return;
  const input = zone.querySelector("input[type=file]");
  const label = zone.querySelector("[data-file-name]");
  const show = () => { label.textContent = input.files.length ? input.files[0].name : ""; };
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("over")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
  input.addEventListener("change", show);
});
