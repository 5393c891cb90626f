#include "cli/generate.h"

#include <cctype>
#include <vector>

namespace gwsync::cli {
namespace {

// Text for roff: backslashes and hyphens escaped, no line starting with a
// control character.
std::string Roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

bool Visible(const CLI::Option* opt) { return !opt->get_group().empty(); }

std::vector<const CLI::Option*> Options(const CLI::App& app, bool positional) {
  return app.get_options([&app, positional](const CLI::Option* opt) {
    return Visible(opt) && opt->nonpositional() != positional && opt != app.get_help_ptr() &&
           opt != app.get_version_ptr();
  });
}

std::vector<const CLI::App*> Commands(const CLI::App& app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) out.push_back(sub);
  }
  return out;
}

bool TakesValue(const CLI::Option* opt) { return opt->get_items_expected_max() > 0; }

std::string ValueName(const CLI::Option* opt) {
  std::string name = opt->get_type_name();
  return name.empty() ? "VALUE" : name;
}

// ".TP" entries: "-q, --quiet" or "--endpoint URL", then the description.
std::string ManOptions(const std::vector<const CLI::Option*>& options) {
  std::string out;
  for (const CLI::Option* opt : options) {
    std::string names;
    for (const auto& s : opt->get_snames())
      names += (names.empty() ? "" : ", ") + ("\\fB\\-" + s + "\\fR");
    for (const auto& l : opt->get_lnames()) {
      names += (names.empty() ? "" : ", ") + ("\\fB\\-\\-" + Roff(l) + "\\fR");
    }
    if (TakesValue(opt)) names += " \\fI" + Roff(ValueName(opt)) + "\\fR";
    out += ".TP\n" + names + "\n" + Roff(opt->get_description()) + "\n";
  }
  return out;
}

void ManCommand(const CLI::App& cmd, const std::string& path, std::string* out) {
  std::string synopsis = "gwsync " + path;
  for (const CLI::Option* p : Options(cmd, true)) {
    // The argument's own name ("source"), not its type ("TEXT").
    std::string name = p->get_name();
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    synopsis += " " + (p->get_required() ? name : "[" + name + "]");
  }
  *out += ".SS \"" + Roff(synopsis) + "\"\n" + Roff(cmd.get_description()) + "\n";
  std::vector<const CLI::Option*> options = Options(cmd, false);
  if (!options.empty()) *out += ".RS\n" + ManOptions(options) + ".RE\n";
  for (const CLI::App* sub : Commands(cmd)) ManCommand(*sub, path + " " + sub->get_name(), out);
}

std::string Words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

void OptionWords(const std::vector<const CLI::Option*>& options, std::vector<std::string>* all,
                 std::vector<std::string>* valued) {
  for (const CLI::Option* opt : options) {
    std::vector<std::string> names;
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    all->insert(all->end(), names.begin(), names.end());
    if (TakesValue(opt)) valued->insert(valued->end(), names.begin(), names.end());
  }
}

// One word for zsh: single-quoted, a quote inside closed, escaped, reopened.
std::string ZshWord(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Text inside an _arguments spec's "[explanation]" or ":message:", where
// brackets and colons end the part.
std::string ZshEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '[' || c == ']' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

// A FILE or DIR completes as file names, and so does an argument that is
// text (a folder, or s3://BUCKET: no way to tell); an option's number, size
// or URL gets only its description.
std::string ZshAction(const CLI::Option* opt) {
  const std::string type = ValueName(opt);
  if (type == "DIR") return "_files -/";
  return type == "FILE" || (type == "TEXT" && !opt->nonpositional()) ? "_files" : "";
}

bool Repeatable(const CLI::Option* opt) { return opt->get_items_expected_max() > 1; }

// "(-n --dry-run)-n[print the plan]" and its twin for each other name; a
// repeatable option ("*--exclude[...]:TEXT:_files") excludes nothing, and
// one that ends the command line (--help) excludes everything ("(- *)").
void ZshOptionSpecs(const CLI::Option* opt, std::vector<std::string>* out, bool ends_line = false) {
  std::vector<std::string> names;
  for (const auto& s : opt->get_snames()) names.push_back("-" + s);
  for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
  std::string prefix;
  if (ends_line) {
    prefix = "(- *)";
  } else if (Repeatable(opt)) {
    prefix = "*";
  } else if (names.size() > 1) {
    prefix = "(" + Words(names) + ")";
  }
  std::string value;
  if (TakesValue(opt)) value = ":" + ZshEscaped(ValueName(opt)) + ":" + ZshAction(opt);
  for (const auto& name : names) {
    out->push_back(ZshWord(prefix + name + "[" + ZshEscaped(opt->get_description()) + "]" + value));
  }
}

// The global options a command accepts after its name (CLI11's fallthrough),
// less those it defines itself.
bool TakesGlobals(const CLI::App& cmd) {
  for (const CLI::App* at = &cmd; at->get_parent() != nullptr; at = at->get_parent()) {
    if (!at->get_fallthrough()) return false;
  }
  return true;
}

std::vector<std::string> ZshOptions(const CLI::App& root, const CLI::App& cmd) {
  std::vector<std::string> specs;
  for (const CLI::Option* opt : Options(cmd, false)) ZshOptionSpecs(opt, &specs);
  if (&cmd != &root && TakesGlobals(cmd)) {
    for (const CLI::Option* opt : Options(root, false)) {
      if (cmd.get_option_no_throw(opt->get_name()) == nullptr) ZshOptionSpecs(opt, &specs);
    }
  }
  for (const CLI::Option* opt : {cmd.get_help_ptr(), cmd.get_version_ptr()}) {
    if (opt != nullptr) ZshOptionSpecs(opt, &specs, true);
  }
  return specs;
}

// "'1:source (SRC):_files'", from the first argument on; "*" for one that
// takes the rest of the line.
std::vector<std::string> ZshArguments(const CLI::App& cmd, size_t first) {
  std::vector<std::string> specs;
  std::vector<const CLI::Option*> args = Options(cmd, true);
  for (size_t i = first; i < args.size(); ++i) {
    const CLI::Option* arg = args[i];
    std::string position = Repeatable(arg) ? "*" : std::to_string(i - first + 1);
    std::string message = arg->get_name() + " (" + arg->get_description() + ")";
    specs.push_back(ZshWord(position + ":" + ZshEscaped(message) + ":" + ZshAction(arg)));
  }
  return specs;
}

std::string ZshCall(const std::string& head, const std::vector<std::string>& specs,
                    const std::string& indent) {
  std::string out = indent + head;
  for (const auto& spec : specs) out += " \\\n" + indent + "  " + spec;
  return out;
}

// One function per command, _gwsync_sync or _gwsync_bench_compare; a command
// with commands of its own hands their words to them.
void ZshFunction(const CLI::App& root, const CLI::App& cmd, const std::string& name,
                 std::string* out) {
  std::vector<const CLI::App*> subs = Commands(cmd);
  std::vector<std::string> options = ZshOptions(root, cmd);
  std::string body;
  if (subs.empty()) {
    std::vector<std::string> specs = options;
    for (auto& spec : ZshArguments(cmd, 0)) specs.push_back(spec);
    body = ZshCall("_arguments -s", specs, "  ") + "\n";
  } else {
    std::vector<std::string> specs = options;
    specs.push_back("'1: :->command'");
    specs.push_back("'*:: :->args'");
    std::vector<std::string> positional = ZshArguments(cmd, 0);
    std::string path = name.substr(1);
    for (char& c : path) c = c == '_' ? ' ' : c;
    body =
        "  local curcontext=\"$curcontext\" state state_descr line ret=1\n"
        "  typeset -A opt_args\n" +
        ZshCall("_arguments -C -s", specs, "  ") + " && ret=0\n" +
        "  case $state in\n"
        "    command)\n"
        "      local -a commands=(\n";
    for (const CLI::App* sub : subs) {
      body += "        " + ZshWord(sub->get_name() + ":" + sub->get_description()) + "\n";
    }
    body += "      )\n      _describe -t commands " + ZshWord(path + " command") +
            " commands && ret=0\n";
    // A command that takes an argument in place of a command (bench's target).
    if (!positional.empty()) body += "      _files && ret=0\n";
    body += "      ;;\n    args)\n      case $words[1] in\n";
    for (const CLI::App* sub : subs) {
      body += "        " + sub->get_name() + ") " + name + "_" + sub->get_name() + " && ret=0 ;;\n";
    }
    std::vector<std::string> rest = options;
    for (auto& spec : ZshArguments(cmd, 1)) rest.push_back(spec);
    if (!positional.empty()) {
      body += ZshCall("*) _arguments -s", rest, "        ") + " && ret=0 ;;\n";
    }
    body += "      esac\n      ;;\n  esac\n  return ret\n";
  }
  *out += name + "() {\n" + body + "}\n\n";
  for (const CLI::App* sub : subs) ZshFunction(root, *sub, name + "_" + sub->get_name(), out);
}

}  // namespace

std::string GenerateManPage(const CLI::App& app, const std::string& version) {
  std::string out = ".\\\" Generated by `gwsync --generate man`; do not edit.\n";
  out += ".TH GWSYNC 1 \"\" \"" + Roff(version) + "\" \"User Commands\"\n";
  out += ".SH NAME\ngwsync \\- " +
         Roff(app.get_description().substr(app.get_description().find(':') + 2)) + "\n";
  out +=
      ".SH SYNOPSIS\n.B gwsync\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] "
      "[\\fIARGUMENTS\\fR]\n";
  out += ".SH DESCRIPTION\n" + Roff(app.get_description()) +
         ". Global options may be given before or after the command's name; a repeatable "
         "option takes one value each time.\n";
  out += ".SH GLOBAL OPTIONS\n" + ManOptions(Options(app, false));
  out += ".SH COMMANDS\n";
  for (const CLI::App* cmd : Commands(app)) ManCommand(*cmd, cmd->get_name(), &out);
  out +=
      ".SH ENVIRONMENT\n"
      ".TP\n\\fBAWS_ACCESS_KEY_ID\\fR, \\fBAWS_SECRET_ACCESS_KEY\\fR, \\fBAWS_ENDPOINT_URL\\fR, "
      "\\fBAWS_REGION\\fR\nCredentials and gateway when no flag gives them.\n"
      ".TP\n\\fBGWSYNC_REMOTES\\fR\nThe remotes file.\n"
      ".SH FILES\n"
      ".TP\n\\fI~/.s3cfg\\fR\nAn s3cmd configuration, read when neither flags nor the "
      "environment give credentials.\n"
      ".TP\n\\fI~/.config/gwsync/remotes.conf\\fR\nClusters for REMOTE:BUCKET.\n"
      ".TP\n\\fI~/.cache/gwsync/index\\fR\nThe sync index (only a cache).\n"
      ".SH EXIT STATUS\n0 done; 1 failed, nothing done (and verify: the sides differ); 2 bad "
      "input; 3 sync: partial, some objects failed and the rest is in sync; 75 sync: "
      "another run holds the pair; 130 or 143 interrupted by SIGINT or SIGTERM.\n"
      ".SH SEE ALSO\n\\fBs3cmd\\fR(1), \\fBrclone\\fR(1)\n";
  return out;
}

std::string GenerateBashCompletion(const CLI::App& app) {
  std::vector<std::string> global, global_valued, commands;
  OptionWords(Options(app, false), &global, &global_valued);
  global.push_back("--help");
  global.push_back("--version");
  std::string cases;
  std::vector<std::string> valued = global_valued;
  for (const CLI::App* cmd : Commands(app)) {
    commands.push_back(cmd->get_name());
    std::vector<std::string> words, subs;
    OptionWords(Options(*cmd, false), &words, &valued);
    for (const CLI::App* sub : Commands(*cmd)) subs.push_back(sub->get_name());
    words.push_back("--help");
    cases += "    " + cmd->get_name() + ") words=\"" + Words(words) + " $global\"; subs=\"" +
             Words(subs) + "\" ;;\n";
  }
  return "# bash completion for gwsync. Generated by `gwsync --generate bash-completion`; do "
         "not edit.\n"
         "_gwsync() {\n"
         "  local cur prev cmd i words subs=\"\"\n"
         "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
         "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
         "  local global=\"" +
         Words(global) +
         "\"\n"
         "  local commands=\"" +
         Words(commands) +
         "\"\n"
         "  local valued=\" " +
         Words(valued) +
         " \"\n"
         "  # An option that takes a value: complete file names.\n"
         "  if [[ \"$valued\" == *\" $prev \"* ]]; then COMPREPLY=(); return; fi\n"
         "  cmd=\"\"\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    if [[ \" $commands \" == *\" ${COMP_WORDS[i]} \"* ]]; then cmd=\"${COMP_WORDS[i]}\"; "
         "break; fi\n"
         "  done\n"
         "  case \"$cmd\" in\n"
         "    \"\") words=\"$commands $global\" ;;\n" +
         cases +
         "  esac\n"
         "  if [[ -z \"$cmd\" || \"$cur\" == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
         "  elif [[ -n \"$subs\" && \"$prev\" == \"$cmd\" ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))  # none: file names\n"
         "  else\n"
         "    COMPREPLY=()\n"
         "  fi\n"
         "}\n"
         "complete -o default -F _gwsync gwsync\n";
}

std::string GenerateZshCompletion(const CLI::App& app) {
  std::string out =
      "#compdef gwsync\n"
      "# zsh completion for gwsync. Generated by `gwsync --generate zsh-completion`; do not "
      "edit.\n\n";
  ZshFunction(app, app, "_gwsync", &out);
  return out + "_gwsync \"$@\"\n";
}

}  // namespace gwsync::cli
