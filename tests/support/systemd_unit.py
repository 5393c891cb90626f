"""A service unit read from its file and started the way systemd starts it
(systemd.exec(5), systemd.service(5)), for machines where systemd is not the
init (containers, CI): `env -i` with only the EnvironmentFile='s variables
and what systemd adds (its PATH, the *_DIRECTORY variables of the folders
it makes first), ExecStart='s $VAR split into words and ${VAR} kept one, %i
the instance, cwd /, Nice=. The install paths in the unit go through a
function the test gives, so a scratch folder stands in for /etc, /usr, /var.

Import it after `sys.path.insert(0, <tests/support>)`.
"""

import os
import re
import shlex
import subprocess

# What systemd gives a system service without User= (systemd.exec(5)).
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
# The folders systemd makes before ExecStart= runs, and the variable naming each.
MANAGED_FOLDERS = (("StateDirectory", "/var/lib", "STATE_DIRECTORY"),
                   ("CacheDirectory", "/var/cache", "CACHE_DIRECTORY"),
                   ("LogsDirectory", "/var/log", "LOGS_DIRECTORY"),
                   ("RuntimeDirectory", "/run", "RUNTIME_DIRECTORY"),
                   ("ConfigurationDirectory", "/etc", "CONFIGURATION_DIRECTORY"))


def read_unit(path):
    """{section: {key: [values]}} of a unit file: comments skipped,
    backslash-continued lines joined."""
    sections, section, pending = {}, None, ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not pending and line.lstrip().startswith(("#", ";")):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line, pending = (pending + line).strip(), ""
            if not line:
                continue
            if line.startswith("["):
                section = sections.setdefault(line.strip("[]"), {})
                continue
            key, _, val = line.partition("=")
            section.setdefault(key.strip(), []).append(val.strip())
    return sections


def read_environment_file(path):
    """KEY=VALUE lines as systemd reads an EnvironmentFile=."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            key, _, val = line.partition("=")
            val = val.strip()
            if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
                val = val[1:-1]
            env[key.strip()] = val
    return env


def expand_exec(words, env):
    """systemd's ExecStart= variables: a word that is $NAME becomes the
    value's words, ${NAME} anywhere is replaced by the value, unset is empty."""
    out = []
    for word in words:
        whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if whole:
            out.extend(env.get(whole.group(1), "").split())
        else:
            out.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                              lambda m: env.get(m.group(1), ""), word))
    return out


def specifiers(text, instance):
    """%i and %%; any other specifier fails, so a new one gets handled here."""
    def one(m):
        assert m.group(1) in ("i", "%"), f"unhandled specifier %{m.group(1)} in {text!r}"
        return instance if m.group(1) == "i" else "%"
    return re.sub(r"%(.)", one, text)


def option(argv, name):
    """The value after `name` in argv."""
    return argv[argv.index(name) + 1]


class Service:
    """INSTANCE of a template service unit as systemd would start it, its
    paths moved by installed(path)."""

    def __init__(self, unit, instance, installed):
        self.service = read_unit(unit)["Service"]
        [env_file] = self.service["EnvironmentFile"]
        [exec_start] = self.service["ExecStart"]
        assert exec_start[0] == "/", "ExecStart= has no prefix (-, @, +, !)"
        self.exec_start = exec_start
        self.env_file = installed(specifiers(env_file, instance))
        self.words = [installed(specifiers(w, instance)) for w in shlex.split(exec_start)]
        self.folders = {}
        for key, base, variable in MANAGED_FOLDERS:
            names = " ".join(self.service.get(key, [])).split()
            if names:
                self.folders[variable] = ":".join(installed(f"{base}/{n}") for n in names)
        self.nice = int(self.service.get("Nice", ["0"])[0])

    def environment(self):
        return read_environment_file(self.env_file)

    def argv(self):
        """ExecStart= as it runs, with the EnvironmentFile='s values."""
        return expand_exec(self.words, self.environment())

    def make_folders(self):
        """What systemd makes before ExecStart= runs (CacheDirectory= ...)."""
        for folders in self.folders.values():
            for folder in folders.split(":"):
                os.makedirs(folder, exist_ok=True)

    def start(self):
        """Popen of ExecStart= (`env` execs it: the pid is the service's),
        stdout and stderr (the journal) piped as text."""
        self.make_folders()
        env = dict({"PATH": SYSTEMD_PATH}, **self.folders)
        env.update(self.environment())
        nice = self.nice
        return subprocess.Popen(["env", "-i"] + [f"{k}={v}" for k, v in env.items()] +
                                self.argv(), cwd="/", preexec_fn=lambda: os.nice(nice),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, timeout):
        """Starts it and waits, as `systemctl start` waits for a oneshot."""
        proc = self.start()
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
