//! Handlers (the file buildcost.sh touches for the incremental rebuild).

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone)]
pub struct User {
    pub id: u64,
    pub name: String,
}

pub async fn index() -> &'static str {
    "hello"
}

pub async fn list_users(limit: u32, after: Option<u64>) -> Vec<u64> {
    (0..u64::from(limit)).map(|i| i + after.unwrap_or(0)).collect()
}

pub async fn get_user(id: u64) -> User {
    User { id, name: format!("user {id}") }
}

pub async fn create_user(user: User) -> User {
    user
}

pub async fn delete_user(id: u64) -> String {
    format!("deleted {id}")
}

pub async fn files(path: &str) -> String {
    format!("file {path}")
}

pub async fn stats() -> &'static str {
    "stats"
}
