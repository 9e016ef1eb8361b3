//! The RESP server: accepts connections and serves each on its own task; every command
//! goes through [`Dispatcher`] to the one writer task.

use crate::commands::{Dispatcher, Next};
use crate::resp::{Connection, ConnectionEnd};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

pub async fn accept_loop(
    listener: TcpListener,
    dispatcher: Arc<Dispatcher>,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        // Small replies must not wait for Nagle's timer.
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, dispatcher.clone()));
    }
}

async fn serve_connection(stream: TcpStream, dispatcher: Arc<Dispatcher>) {
    let mut connection = Connection::new(stream);
    loop {
        let frame = match connection.read_frame().await {
            Ok(frame) => frame,
            Err(ConnectionEnd::Closed) => return,
            Err(ConnectionEnd::Io) => return,
            Err(ConnectionEnd::Protocol(reason)) => {
                let error = redis_protocol::resp2::types::OwnedFrame::Error(format!(
                    "ERR Protocol error: {reason}"
                ));
                let _ = connection.write_frame(&error).await;
                return;
            }
        };
        let (reply, next) = dispatcher.handle(frame).await;
        if connection.write_frame(&reply).await.is_err() {
            return;
        }
        if let Next::Close = next {
            return;
        }
    }
}
