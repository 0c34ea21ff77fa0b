#!/usr/bin/env bash
# Print the path of the newest Python >= 3.11 on this machine (python3.13, python3.12, python3.11, then
# python3), or of the one minor version asked for (scripts/find_python.sh 3.13); exit 1 if there is none.
# A command on PATH counts only if it runs: pyenv's shims for versions that are installed but not selected
# (`pyenv global`) only print "command not found", so pyenv's installed versions are looked at directly.
set -uo pipefail
want=${1:-}
versions=${want:-"3.13 3.12 3.11"}
ok() {  # $1 runs and is Python $2 (or any version >= 3.11 if $2 is empty)
    "$1" -c "import sys; v = sys.version_info[:2]; want = '$2'; sys.exit(0 if (f'{v[0]}.{v[1]}' == want if want else v >= (3, 11)) else 1)" \
        >/dev/null 2>&1
}
pyenv_root=$( (command -v pyenv >/dev/null && pyenv root) 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for v in $versions; do
    if cmd=$(command -v "python$v" 2>/dev/null) && ok "$cmd" "$v"; then echo "$cmd"; exit 0; fi
    for dir in $(ls -d "$pyenv_root"/versions/"$v".* 2>/dev/null | sort -V -r); do
        if ok "$dir/bin/python$v" "$v"; then echo "$dir/bin/python$v"; exit 0; fi
    done
done
if [ -z "$want" ] && cmd=$(command -v python3 2>/dev/null) && ok "$cmd" ""; then echo "$cmd"; exit 0; fi
echo "find_python: no Python ${want:->= 3.11} found (tried python${want:-3.13, 3.12, 3.11, 3}, and pyenv's versions in $pyenv_root)" >&2
exit 1
