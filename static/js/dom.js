// Tiny DOM helpers. User text only ever goes in through textContent (strings given
// as children become text nodes), never innerHTML, so nobody can inject markup.

/**
 * el("button", {class: "primary", type: "button", data: {id: 3}, on: {click: f}}, "Send")
 * Attributes set with setAttribute; `false`/`null`/`undefined` values are skipped,
 * `true` sets an empty attribute (hidden, disabled...).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "data") {
      for (const [key, v] of Object.entries(value)) node.dataset[key] = String(v);
    } else if (name === "on") {
      for (const [type, handler] of Object.entries(value)) node.addEventListener(type, handler);
    } else if (name === "class") {
      node.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    } else if (name === "text") {
      node.textContent = value;
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of `node` (text or nodes). */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** Show or hide with the `hidden` attribute (no inline styles under the CSP). */
export function show(node, visible) {
  node.hidden = !visible;
}

/**
 * Text as the room shows it: a run of more than two blank lines is shown as two. The
 * record keeps what was written as it was (students' words are never rewritten); blank
 * lines carry no words, and 300 of them made one message 7,558 px tall for everyone.
 */
export function tidyLines(text) {
  return text.replace(/\n(?:[^\S\n]*\n){3,}/g, "\n\n\n");
}

/** Number of characters as the server counts them (code points, after trimming). */
export function charCount(text) {
  return [...text.trim()].length;
}

/** A fresh id for an outgoing message or note, so a retry cannot post it twice. */
export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; plain http on a school LAN may lack it.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
