// Makes text from a gateway or a bucket safe to print on a terminal: a key
// may hold escape sequences (retitle the window, clear the screen, hide
// what was printed with a carriage return), so every control byte is shown
// as an escape instead of being sent. Pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace gwsync {

// `text` with each C0 control byte (0x00-0x1f), DEL (0x7f), C1 control
// (U+0080-U+009F) and byte that is not part of valid UTF-8 written as \xNN
// (\t, \n and \r as such). Printable ASCII and valid UTF-8 pass unchanged,
// backslashes too, so ordinary keys print as they are.
std::string Printable(std::string_view text);

// Whether `text` is valid UTF-8 (shortest forms, no surrogates, at most
// U+10FFFF); control characters are valid.
bool IsUtf8(std::string_view text);

}  // namespace gwsync
