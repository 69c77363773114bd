// JSON text byte-for-byte as Python's json.dumps writes it with sort_keys=True and the
// default ensure_ascii=True: rosters (signed as bytes) and key files are made by both sides.

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

// json.dumps escapes every character outside ' '..'~', per UTF-16 code unit, as \uXXXX.
const asciiOnly = (text) => text.replace(/[\u007f-\uffff]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function spaced(value) { // json.dumps' default separators: ", " and ": "
  if (Array.isArray(value)) return `[${value.map(spaced).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}: ${spaced(value[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/**
 * `style`: 'compact' is separators=(",", ":"); a number is indent=N; 'default' is neither.
 */
export function pythonDumps(value, style = 'default') {
  const sorted = sortKeys(value);
  if (style === 'compact') return asciiOnly(JSON.stringify(sorted));
  if (typeof style === 'number') return asciiOnly(JSON.stringify(sorted, null, style));
  return asciiOnly(spaced(sorted));
}

/** True when a JSON text has a number written with a fraction or an exponent (Python's strict
 * models refuse `1.0` for an integer; JSON.parse cannot tell `1.0` from `1`). */
export function hasNonIntegerNumber(text) {
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const number = /^-?[0-9.eE+-]*/.exec(text.slice(i, i + 400))[0];
      if (/[.eE]/.test(number)) return true;
      i += number.length - 1;
    }
  }
  return false;
}
