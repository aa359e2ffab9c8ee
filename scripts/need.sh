# Sourced by .ci/run and the scripts here. `need COMMAND PACKAGE` installs a Debian package when
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

# `need_venv DIR MODULES SPEC...`: a virtualenv at DIR whose python imports MODULES (`a, b`), made
# and given `pip install SPEC...` when it does not yet.
need_venv() {
    local venv=$1 modules=$2
    shift 2
    "$venv/bin/python" -c "import $modules" 2>/dev/null && return
    echo "installing $* in $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$@"
}

# `cargo_target_dir`: where cargo builds (CARGO_TARGET_DIR, or the workspace's target/).
cargo_target_dir() {
    cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# `nginx_prelude DIR LEVEL`: the top of a throw-away nginx.conf kept in DIR (which has `logs/`) (in the foreground, one
# worker of 1024 connections, pid, logs at LEVEL and temporary files in DIR, `user root` when run
# as root), up to `http {` and its temporary paths; the caller writes the rest and the last `}`.
nginx_prelude() {
    local dir=$1 level=$2
    cat <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log $level;
$( [ "$(id -u)" = 0 ] && echo "user root root;" )
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
CONF
}
