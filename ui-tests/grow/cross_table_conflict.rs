mod tools {
    waymark::routes! {
        pub Tools at "/tools";
        GET "/{name}" => async move { format!("tool {name}") },
    }
}

mod more {
    waymark::routes! {
        pub More;
        GET "/tools/{id: u32}" => async move { format!("more {id}") },
    }
}

waymark::routes! {
    Api;
    GET "/tools/{*rest}" => async { "ordered: a catch-all after a parameter" },
    GET "/tools/{slug}" => async { "conflicts with Tools" },
    mount tools::Tools = tools::Tools::new();
    mount more::More = more::More::new();
}

fn main() {}
