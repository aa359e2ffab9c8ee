//! The wording of conflicts between routes of one table. The trie (`trie.rs`) finds them; the
//! rule itself lives in `waymark-shape`, shared with the runtime's check across mounted tables.

use waymark_shape::{Msg, Seg, Shape, common_path};

use crate::valid::Table;

/// An error on the later route of each `(earlier, later)` pair, and a second one on the earlier.
pub(crate) fn errors(table: &Table<'_>, shapes: &[Vec<Seg<'_>>], conflicts: &[(usize, usize)]) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    for &(earlier, later) in conflicts {
        let (first, second) = (&table.routes[earlier], &table.routes[later]);
        let (a, b) = (format!("{} {}", first.method, first.full), format!("{} {}", second.method, second.full));
        let (msg, note) = if first.full == second.full {
            (format!("route `{b}` is declared twice; remove one of them"), format!("`{a}` is first declared here"))
        } else {
            let shape = |i: usize| Shape {
                method: table.routes[i].method,
                pattern: &table.routes[i].full,
                segments: &shapes[i],
            };
            let both = common_path(Msg::new(), &shape(earlier), &shape(later));
            (
                format!(
                    "route `{b}` conflicts with `{a}`: {}; parameters at the same place do not order routes, so remove one or make a literal segment differ",
                    both.as_str()
                ),
                format!("`{a}` is declared here first; `{b}` conflicts with it"),
            )
        };
        errors.push(syn::Error::new(second.lit.span(), msg));
        errors.push(syn::Error::new(first.lit.span(), note));
    }
    errors
}

#[cfg(test)]
#[path = "conflict/replay.rs"]
mod replay;
