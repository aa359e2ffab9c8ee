#!/usr/bin/env bash
# Writes a one-process nginx config to PREFIX/nginx.conf: no daemon, no master, one worker, no
# access log, `sendfile on`; PREFIX/public at /static/ and `dav_methods PUT` into PREFIX/uploads at
# /upload/ (the body goes to a temporary file on the same filesystem, then is renamed).
#
#   bench/scripts/nginx_conf.sh PREFIX PORT
set -euo pipefail
prefix=$1 port=$2
mkdir -p "$prefix"/{tmp/body,tmp/proxy,tmp/fastcgi,tmp/uwsgi,tmp/scgi,uploads,logs}
cat > "$prefix/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log $prefix/logs/error.log warn;
pid $prefix/logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    default_type application/octet-stream;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        location /static/ { alias $prefix/public/; }
        location /upload/ {
            alias $prefix/uploads/;
            dav_methods PUT;
            client_max_body_size 1g;
            client_body_temp_path $prefix/uploads/.tmp;
        }
    }
}
CONF
mkdir -p "$prefix/uploads/.tmp"
