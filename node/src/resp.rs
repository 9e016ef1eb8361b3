//! RESP2 framing over a TCP stream, by the `redis-protocol` crate: read whole frames from a
//! growing buffer, write encoded frames.

use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::encode::encode;
use redis_protocol::resp2::types::{OwnedFrame, Resp2Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bytes read per call; a frame may span many reads.
const READ_CHUNK_BYTES: usize = 16 << 10;
/// A client whose unparsed input grows past this is cut off (a missing terminator).
const PENDING_INPUT_MAX_BYTES: usize = 512 << 20;

pub struct Connection {
    stream: TcpStream,
    input: Vec<u8>,
}

/// Why a connection ends.
#[derive(Debug)]
pub enum ConnectionEnd {
    Closed,
    /// The socket failed (reset by the peer, say).
    Io,
    Protocol(String),
}

impl Connection {
    pub fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            input: Vec::new(),
        }
    }

    /// The next complete frame; `Closed` at a clean end of input.
    pub async fn read_frame(&mut self) -> Result<OwnedFrame, ConnectionEnd> {
        loop {
            match decode(&self.input) {
                Ok(Some((frame, used))) => {
                    assert!(used > 0 && used <= self.input.len(), "a frame has bytes");
                    self.input.drain(..used);
                    return Ok(frame);
                }
                Ok(None) => {}
                Err(error) => return Err(ConnectionEnd::Protocol(error.to_string())),
            }
            if self.input.len() > PENDING_INPUT_MAX_BYTES {
                return Err(ConnectionEnd::Protocol("request too large".to_string()));
            }
            let mut chunk = vec![0u8; READ_CHUNK_BYTES];
            let read = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|_| ConnectionEnd::Io)?;
            if read == 0 {
                return Err(ConnectionEnd::Closed);
            }
            self.input.extend_from_slice(&chunk[..read]);
        }
    }

    pub async fn write_frame(&mut self, frame: &OwnedFrame) -> Result<(), ConnectionEnd> {
        let mut bytes = vec![0u8; frame.encode_len(false)];
        let written = encode(&mut bytes, frame, false)
            .map_err(|error| ConnectionEnd::Protocol(error.to_string()))?;
        assert_eq!(written, bytes.len(), "encode fills what encode_len sized");
        self.stream
            .write_all(&bytes)
            .await
            .map_err(|_| ConnectionEnd::Io)
    }
}
