//! The server over byte streams other than TCP: `serve_connection` on an in-memory pipe.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{TestApp, bounded};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waymark_runtime::{Server, serve_connection};

const PEER: ([u8; 4], u16) = ([192, 0, 2, 7], 4242);

#[tokio::test]
async fn serves_pipelined_requests_over_a_duplex_pipe() {
    bounded(10, async {
        let (mut client, server) = tokio::io::duplex(1024);
        let conn_task = tokio::spawn(serve_connection(server, SocketAddr::from(PEER), Arc::new(TestApp)));
        client
            .write_all(
                b"GET / HTTP/1.1\r\nhost: pipe\r\n\r\n\
                  POST /echo HTTP/1.1\r\nhost: pipe\r\ncontent-length: 4\r\n\r\nping\
                  GET /peer HTTP/1.1\r\nhost: pipe\r\nconnection: close\r\n\r\n",
            )
            .await
            .unwrap();
        let mut all = String::new();
        client.read_to_string(&mut all).await.unwrap();
        let responses: Vec<&str> = all.split("HTTP/1.1 ").skip(1).collect();
        assert_eq!(responses.len(), 3, "{all}");
        assert!(responses.iter().all(|r| r.starts_with("200 OK\r\n")), "{all}");
        assert!(responses[0].ends_with("\r\n\r\nhello"), "{all}");
        assert!(responses[1].ends_with("\r\n\r\nping"), "{all}");
        // The peer address given to serve_connection reaches the handler.
        assert!(responses[2].contains("connection: close\r\n"), "{all}");
        assert!(responses[2].ends_with("\r\n\r\n192.0.2.7"), "{all}");
        conn_task.await.expect("connection task");
    })
    .await;
}

#[tokio::test]
async fn the_builders_limits_apply() {
    bounded(10, async {
        let (mut client, server) = tokio::io::duplex(1024);
        let builder = Server::builder().max_body_size(3);
        let conn_task = tokio::spawn(async move {
            builder.serve_connection(server, SocketAddr::from(PEER), Arc::new(TestApp)).await;
        });
        // The body arrived with its head, so it is read whole and the connection could go on:
        // `close` makes the server end it after the 413.
        client
            .write_all(b"POST / HTTP/1.1\r\nhost: pipe\r\nconnection: close\r\ncontent-length: 4\r\n\r\nping")
            .await
            .unwrap();
        let mut all = String::new();
        client.read_to_string(&mut all).await.unwrap();
        assert!(all.starts_with("HTTP/1.1 413 "), "{all}");
        conn_task.await.expect("connection task");
    })
    .await;
}

#[tokio::test]
async fn a_client_that_goes_away_ends_the_connection() {
    bounded(10, async {
        let (client, server) = tokio::io::duplex(1024);
        let conn_task = tokio::spawn(serve_connection(server, SocketAddr::from(PEER), Arc::new(TestApp)));
        drop(client);
        conn_task.await.expect("connection task");
    })
    .await;
}
