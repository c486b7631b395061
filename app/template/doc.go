// Package template is Smartbot's TemplateEngine: it checks a template
// against WhatsApp's rules, renders it with a customer's values into the
// three forms a message can take (the structured WhatsApp message, a poll,
// and a numbered plain text), maps a customer's reply back to the option
// it picks, and exports a template in the format WhatsApp Business's Cloud
// API registers.
//
// Everything here is a pure function of its input: no database, no clock,
// no network. The API's preview, the panel's editor, the bot's replies, the
// WhatsApp transport and the commerce notifications all call it.
//
// # Placeholders
//
// A placeholder is {{name}}, the name made of ASCII letters, digits and
// underscores (at most 64), declared among the template's variables. It may
// stand in the header text, the body, the footer, button titles, the list's
// button, section titles and rows. In a run of braces the last two open
// the placeholder, so {{{x}}} shows x between braces. A backslash right
// before {{ makes it literal: \{{ shows as {{ and the backslash is
// dropped; every other backslash is text. Escape writes any text so that
// it shows as it is. A {{ that starts no placeholder is an error on save.
// Values are inserted literally: a value containing {{ is never expanded.
// WhatsApp's own formatting (*bold*, _italic_, ~strike~, ```mono```,
// `code`, lists, > quotes) is text to this package and passes through.
//
// # Counting
//
// Lengths are counted in Unicode code points, as SQLite's length() counts
// the stored text and as WhatsApp counts what a person types: "é" is one
// character, an emoji made of one code point is one.
//
// # Use
//
// Validate on save (every problem at once, with its field path). Compile
// once per template version and keep the result: Render is the hot path
// and does no parsing. Match needs only the Options a render produced,
// which the sender keeps with the outgoing message.
package template
