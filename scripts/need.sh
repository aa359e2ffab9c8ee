# Sourced by .ci/run and the scripts here: `need COMMAND PACKAGE` installs a Debian package when
# its command is missing (as root, or through sudo), so that nothing is installed by hand.
need() {
    command -v "$1" >/dev/null 2>&1 && return
    echo "installing $2 (for \`$1\`)"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "$2"
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq "$2"
    fi
}
