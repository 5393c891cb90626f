// "Did you mean": the name a mistyped option or command was most likely
// meant to be, for the one line of a usage error. Pure; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gwsync::cli {

// Edits from `a` to `b`: an edit inserts, deletes or replaces a character,
// or swaps two adjacent ones ("dleete" is one edit from "delete").
size_t EditDistance(std::string_view a, std::string_view b);

// The name among `names` closest to `typed`, or "" when none is close
// enough to be a guess worth printing: one edit away from a word of 3 or 4
// characters, two from a longer one (none for shorter ones: "xx" is not
// "ls"), else the shortest name that `typed` (3 characters or more) begins.
// On a tie, the first of `names`.
std::string Nearest(std::string_view typed, const std::vector<std::string>& names);

}  // namespace gwsync::cli
