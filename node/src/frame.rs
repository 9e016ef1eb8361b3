//! Remote compaction's framing on TCP: a 4-byte big-endian length, then that many bytes
//! (core's versioned job or result encoding). A frame above the bound is bad input from the
//! peer: the connection is dropped, never a huge allocation.

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Jobs and results carry ids and metadata only; this is far above any real one.
pub const FRAME_BYTES_MAX: usize = 16 << 20;

/// The next frame, or `None` at a clean end of stream.
pub async fn read_frame<R: AsyncReadExt + Unpin>(reader: &mut R) -> std::io::Result<Option<Bytes>> {
    let mut length = [0u8; 4];
    match reader.read_exact(&mut length).await {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let length = u32::from_be_bytes(length) as usize;
    if length > FRAME_BYTES_MAX {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {length} bytes exceeds {FRAME_BYTES_MAX}"),
        ));
    }
    let mut payload = vec![0u8; length];
    reader.read_exact(&mut payload).await?;
    Ok(Some(Bytes::from(payload)))
}

pub async fn write_frame<W: AsyncWriteExt + Unpin>(
    writer: &mut W,
    payload: &[u8],
) -> std::io::Result<()> {
    assert!(
        payload.len() <= FRAME_BYTES_MAX,
        "our own frames stay under the bound"
    );
    writer
        .write_all(&(payload.len() as u32).to_be_bytes())
        .await?;
    writer.write_all(payload).await?;
    writer.flush().await
}

/// Writes every frame queued on `frames` until the queue closes or the peer is gone.
pub async fn write_frames<W: AsyncWriteExt + Unpin>(
    mut writer: W,
    mut frames: tokio::sync::mpsc::UnboundedReceiver<Bytes>,
) {
    while let Some(frame) = frames.recv().await {
        if write_frame(&mut writer, &frame).await.is_err() {
            return;
        }
    }
}
