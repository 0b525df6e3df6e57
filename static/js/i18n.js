// Strings for the room, translated on the server (forum/jsstrings.py) and embedded
// in the page as a JSON data block: the browser never guesses a translation.

const block = document.getElementById("i18n");
const strings = block ? JSON.parse(block.textContent) : {};

// The page's language (BCP 47, e.g. "zh-Hant-TW"), for Intl and lang attributes.
export const pageLang = document.documentElement.lang || "en";

const plurals = new Intl.PluralRules(pageLang);
const hasOne = plurals.resolvedOptions().pluralCategories.includes("one");

// Plural strings come as "key.one" / "key.other" (ngettext for 1 and for 2 on the
// server); Intl picks the form. Every language we ship has at most these two forms.
// Chinese, Japanese and Korean have one form, so a translation gives the same text
// twice; if they differ, the catalog fell back to the English source: count like it.
function pick(key, params) {
  if (params && typeof params.num === "number" && `${key}.other` in strings) {
    const form = hasOne ? plurals.select(params.num) : params.num === 1 ? "one" : "other";
    return strings[`${key}.${form}`] ?? strings[`${key}.other`];
  }
  return strings[key];
}

/** The translated string `key` with %(name)s placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = pick(key, params);
  if (text === undefined) {
    console.warn("missing string", key);
    return key;
  }
  return text.replace(/%\((\w+)\)s/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

/**
 * The translated string `key` as parts to put in an element: a param given as
 * `{ text, lang }` stays its own part, so what someone wrote can carry its language
 * inside the interface's sentence ("山田: こんにちは" read with a Japanese voice on an
 * English page). Other params are filled in as by t().
 */
export function tParts(key, params = {}) {
  const text = pick(key, params) ?? key;
  const parts = [];
  let last = 0;
  text.replace(/%\((\w+)\)s/g, (whole, name, offset) => {
    parts.push(text.slice(last, offset), name in params ? params[name] : whole);
    last = offset + whole.length;
    return whole;
  });
  parts.push(text.slice(last));
  return parts.filter((part) => part !== "").map((part) => (typeof part === "object" ? part : String(part)));
}

// The reader's own zone, as the server writes every other time on the page (their
// setting, else their school's): not the browser's, which may be another (a Taipei
// student on a laptop set to Seoul saw 06:37 in the chat and 05:37 beside it).
function zoned(options) {
  const timeZone = document.documentElement.dataset.timeZone;
  try {
    return new Intl.DateTimeFormat(pageLang, timeZone ? { ...options, timeZone } : options);
  } catch {
    return new Intl.DateTimeFormat(pageLang, options); // an unknown zone: the browser's
  }
}

// 24-hour, like the times the server writes ("14:00 Taipei · 15:00 Tokyo").
const clock = zoned({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const full = zoned({ dateStyle: "medium", timeStyle: "medium" });

/** A time of day in the reader's zone and language, e.g. "14:05" or "下午2:05". */
export function localTime(iso) {
  return clock.format(new Date(iso));
}

/** Date and time in full, for a title tooltip. */
export function localDateTime(iso) {
  return full.format(new Date(iso));
}
