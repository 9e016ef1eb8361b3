//! The S3 adapter's error mapping against a scripted HTTP server on 127.0.0.1: what each
//! failure becomes in core's terms, and how many requests reached the server — an unknown
//! outcome of a write must reach it exactly once (never hidden by a retry).
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::store::{Attributes, GetRange, ObjectStore, PutMode, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use stores::{NativeStore, S3Config, StoreOptions, open_s3};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with every request it reads.
#[derive(Clone, Copy, Debug)]
enum Script {
    Status(u16, &'static str),
    /// Read the request, then close the connection without a word.
    CloseAfterReading,
    /// Read the request, then hold the connection open and never answer.
    Silence,
}

/// Reads one HTTP request (head and `Content-Length` body); false if the peer closed.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut data = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    let head_end = loop {
        if let Some(index) = data.windows(4).position(|window| window == b"\r\n\r\n") {
            break index + 4;
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(read) => data.extend_from_slice(&buffer[..read]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
    let body_len: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + body_len {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(read) => data.extend_from_slice(&buffer[..read]),
        }
    }
    true
}

/// Starts the scripted server; returns its port and the count of requests it read.
async fn serve(script: Script) -> (u16, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicU32::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        // Bounded: no test sends more than a handful of requests.
        for _ in 0..64 {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                if !read_request(&mut stream).await {
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                match script {
                    Script::Status(code, body) => {
                        let answer = format!(
                            "HTTP/1.1 {code} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = stream.write_all(answer.as_bytes()).await;
                        let _ = stream.shutdown().await;
                    }
                    Script::CloseAfterReading => drop(stream),
                    Script::Silence => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    (port, requests)
}

fn store_at(port: u16) -> NativeStore {
    let config = S3Config {
        bucket: "b".to_string(),
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        region: Some("us-east-1".to_string()),
        access_key_id: Some("k".to_string()),
        secret_access_key: Some("s".to_string()),
        allow_http: true,
        ..S3Config::default()
    };
    let options = StoreOptions {
        request_timeout: Duration::from_millis(400),
        connect_timeout: Duration::from_millis(400),
        attempts_max: 3,
        backoff_initial: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
    };
    open_s3(&config, options).unwrap()
}

async fn create(store: &NativeStore) -> Result<(), StoreError> {
    store
        .put(
            "k",
            Bytes::from_static(b"v"),
            PutMode::Create,
            Attributes::new(),
        )
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_503_is_transient_and_retried_up_to_the_bound() {
    let (port, requests) = serve(Script::Status(503, "<Error><Code>SlowDown</Code></Error>")).await;
    let got = create(&store_at(port)).await;
    assert!(matches!(got, Err(StoreError::Transient { .. })), "{got:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_409_is_a_conflict_not_retried() {
    let body = "<Error><Code>ConditionalRequestConflict</Code></Error>";
    let (port, requests) = serve(Script::Status(409, body)).await;
    let got = create(&store_at(port)).await;
    assert_eq!(got, Err(StoreError::Conflict { path: "k".into() }));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_412_on_create_is_already_exists_and_on_update_precondition_failed() {
    let body = "<Error><Code>PreconditionFailed</Code></Error>";
    let (port, _) = serve(Script::Status(412, body)).await;
    let store = store_at(port);
    assert_eq!(
        create(&store).await,
        Err(StoreError::AlreadyExists { path: "k".into() })
    );
    let update = PutMode::Update(lsm_core::store::ETag("\"x\"".into()));
    let got = store
        .put("k", Bytes::from_static(b"v"), update, Attributes::new())
        .await;
    assert_eq!(
        got,
        Err(StoreError::PreconditionFailed { path: "k".into() })
    );
}

#[tokio::test]
async fn a_404_on_update_is_not_found() {
    let body = "<Error><Code>NoSuchKey</Code></Error>";
    let (port, _) = serve(Script::Status(404, body)).await;
    let update = PutMode::Update(lsm_core::store::ETag("\"x\"".into()));
    let got = store_at(port)
        .put("k", Bytes::from_static(b"v"), update, Attributes::new())
        .await;
    assert_eq!(got, Err(StoreError::NotFound { path: "k".into() }));
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_an_unknown_outcome_sent_once() {
    let (port, requests) = serve(Script::CloseAfterReading).await;
    let got = create(&store_at(port)).await;
    assert_eq!(got, Err(StoreError::UnknownOutcome { path: "k".into() }));
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "a write was retried after it was sent"
    );
}

#[tokio::test]
async fn a_timeout_is_an_unknown_outcome_sent_once() {
    let (port, requests) = serve(Script::Silence).await;
    let store = store_at(port);
    let got = store
        .put(
            "k",
            Bytes::from_static(b"v"),
            PutMode::Overwrite,
            Attributes::new(),
        )
        .await;
    assert_eq!(got, Err(StoreError::UnknownOutcome { path: "k".into() }));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn reads_may_be_retried_after_an_unknown_outcome() {
    let (port, requests) = serve(Script::CloseAfterReading).await;
    let got = store_at(port).get("k", GetRange::Whole).await;
    assert_eq!(got, Err(StoreError::UnknownOutcome { path: "k".into() }));
    assert_eq!(requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let got = create(&store_at(port)).await;
    assert!(matches!(got, Err(StoreError::Transient { .. })), "{got:?}");
}
