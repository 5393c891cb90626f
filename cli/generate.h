// The man page and the bash and zsh completions, generated from the command
// line's own definitions (the CLI11 app main() builds), so they never drift
// from the flags. Used by the hidden `gwsync --generate
// man|bash-completion|zsh-completion` at build time; from the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace gwsync::cli {

// roff for man(1), section 1.
std::string GenerateManPage(const CLI::App& app, const std::string& version);

// A bash script that defines the completion function and registers it.
std::string GenerateBashCompletion(const CLI::App& app);

// A zsh completion function (`#compdef gwsync`, for a folder of $fpath as
// _gwsync): every command, its options and arguments, with descriptions.
std::string GenerateZshCompletion(const CLI::App& app);

}  // namespace gwsync::cli
