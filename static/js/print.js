// Print buttons (no inline script under the page's Content-Security-Policy).
for (const button of document.querySelectorAll('[data-action="print"]')) {
  button.addEventListener("click", () => window.print());
}
