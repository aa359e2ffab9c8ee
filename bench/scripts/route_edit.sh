# The route edit of the build-cost fixtures, shared by buildcost.sh and linker_edit.sh (sourced,
# not run; both run from bench/buildcost).
#
# An edit gives the `/health` handler (`async { "ok" }` in api_waymark's and api_axum's main.rs)
# a string it has not had in this run, so a rebuild never finds the text its target dir last
# compiled, even when several target dirs build the same file in turn.

ROUTE_EDITS=0

# edit_route FIXTURE: one edit of FIXTURE/src/main.rs.
edit_route() {
  ROUTE_EDITS=$((ROUTE_EDITS + 1))
  sed -i -E "s/async \\{ \"ok[^\"]*\" \\}/async { \"ok$ROUTE_EDITS\" }/" "$1/src/main.rs"
  grep -q "\"ok$ROUTE_EDITS\"" "$1/src/main.rs"
}

# restore_routes: both fixtures as committed.
restore_routes() {
  for c in api_waymark api_axum; do sed -i -E 's/async \{ "ok[^"]*" \}/async { "ok" }/' "$c/src/main.rs"; done
}
