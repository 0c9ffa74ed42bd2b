//! Refuses an oversized WebSocket frame as soon as its header arrives. actix-http's frame parser
//! checks `max_frame_size` only once the whole frame is buffered, so a client announcing a 256 MiB
//! frame made the server buffer 256 MiB before it said no. This guard sits between the connection
//! and the parser, reads each frame header as it passes and fails the stream on a length over the
//! limit; the bytes themselves pass through untouched and nothing is buffered here.
//!
//! After such a refusal the connection must end too: actix keeps reading (and discarding) an
//! upgraded request's body until the client stops sending, so `HangUp` makes the response body
//! fail once the close frame is out, which drops the TCP connection.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev, web};
use futures_util::Stream;

/// The longest frame header: 2 bytes, 8 of extended length, 4 of mask.
const MAX_HEADER: usize = 14;

/// The request body of a WebSocket upgrade, with frames over `max_frame` refused at their header.
pub async fn guarded(
    request: &HttpRequest,
    body: web::Payload,
    max_frame: usize,
) -> Result<web::Payload, actix_web::Error> {
    let guard: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(FrameGuard::new(body, max_frame as u64));
    let mut payload = dev::Payload::Stream { payload: guard };
    web::Payload::from_request(request, &mut payload).await
}

/// Set when the socket ends for a protocol violation: the connection is dropped after the close frame.
#[derive(Clone, Default)]
pub struct HangUp(Arc<AtomicBool>);

impl HangUp {
    pub fn now(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// The WebSocket response, with its body failing after its last frame once `now` was called.
    pub fn wrap(&self, response: HttpResponse) -> HttpResponse {
        let hang_up = self.clone();
        response
            .map_body(|_, body| HangUpBody {
                body,
                hang_up,
                state: BodyState::Streaming,
            })
            .map_into_boxed_body()
    }
}

enum BodyState {
    Streaming,
    /// The last frame was handed over; one turn for the server to write it out.
    Flushing,
    Done,
}

struct HangUpBody {
    body: BoxBody,
    hang_up: HangUp,
    state: BodyState,
}

impl MessageBody for HangUpBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = &mut *self;
        match this.state {
            BodyState::Streaming => match Pin::new(&mut this.body).poll_next(cx) {
                Poll::Ready(None) if this.hang_up.0.load(Ordering::Relaxed) => {
                    this.state = BodyState::Flushing;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Poll::Ready(None) => {
                    this.state = BodyState::Done;
                    Poll::Ready(None)
                }
                other => other,
            },
            BodyState::Flushing => {
                this.state = BodyState::Done;
                Poll::Ready(Some(Err(
                    "the client broke the WebSocket protocol; connection dropped".into()
                )))
            }
            BodyState::Done => Poll::Ready(None),
        }
    }
}

struct FrameGuard<S> {
    inner: S,
    max_frame: u64,
    header: [u8; MAX_HEADER],
    /// Bytes of the current frame's header seen so far.
    header_len: usize,
    /// Payload bytes of the current frame still to pass.
    remaining: u64,
    failed: bool,
}

impl<S> FrameGuard<S> {
    fn new(inner: S, max_frame: u64) -> Self {
        FrameGuard {
            inner,
            max_frame,
            header: [0; MAX_HEADER],
            header_len: 0,
            remaining: 0,
            failed: false,
        }
    }

    /// Follows the frames through one chunk; false when a header announces too long a frame.
    fn inspect(&mut self, mut chunk: &[u8]) -> bool {
        while !chunk.is_empty() {
            if self.remaining > 0 {
                let skip = self.remaining.min(chunk.len() as u64);
                self.remaining -= skip;
                chunk = &chunk[skip as usize..];
                continue;
            }
            self.header[self.header_len] = chunk[0];
            self.header_len += 1;
            chunk = &chunk[1..];
            if let Some(length) = frame_length(&self.header[..self.header_len]) {
                if length > self.max_frame {
                    return false;
                }
                self.header_len = 0;
                self.remaining = length;
            }
        }
        true
    }
}

/// The payload length once `header` holds a whole frame header (RFC 6455 §5.2), else None.
fn frame_length(header: &[u8]) -> Option<u64> {
    let second = *header.get(1)?;
    let (extended, mask) = (
        match second & 0x7F {
            126 => 2,
            127 => 8,
            _ => 0,
        },
        if second & 0x80 != 0 { 4 } else { 0 },
    );
    if header.len() < 2 + extended + mask {
        return None;
    }
    Some(match extended {
        2 => u64::from(u16::from_be_bytes([header[2], header[3]])),
        8 => u64::from_be_bytes([
            header[2], header[3], header[4], header[5], header[6], header[7], header[8], header[9],
        ]),
        _ => u64::from(second & 0x7F),
    })
}

impl<S> Stream for FrameGuard<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if this.inspect(&chunk) {
                    Poll::Ready(Some(Ok(chunk)))
                } else {
                    this.failed = true;
                    Poll::Ready(Some(Err(PayloadError::Overflow)))
                }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame header announcing `length` bytes.
    fn header(length: u64) -> Vec<u8> {
        let mut bytes = vec![0x81];
        match length {
            0..=125 => bytes.push(0x80 | length as u8),
            126..=0xFFFF => {
                bytes.push(0x80 | 126);
                bytes.extend_from_slice(&(length as u16).to_be_bytes());
            }
            _ => {
                bytes.push(0x80 | 127);
                bytes.extend_from_slice(&length.to_be_bytes());
            }
        }
        bytes.extend_from_slice(&[1, 2, 3, 4]);
        bytes
    }

    #[test]
    fn frames_are_followed_across_chunks_and_a_long_one_is_refused_at_its_header() {
        let mut guard = FrameGuard::new((), 64 * 1024);
        let mut stream = Vec::new();
        for length in [5, 300, 64 * 1024, 0] {
            stream.extend(header(length));
            stream.extend(std::iter::repeat_n(b'x', length as usize));
        }
        // One byte at a time, then in odd chunks: the frame boundaries are found either way.
        for byte in &stream {
            assert!(guard.inspect(std::slice::from_ref(byte)));
        }
        for chunk in stream.chunks(7) {
            assert!(guard.inspect(chunk));
        }
        assert_eq!((guard.header_len, guard.remaining), (0, 0));

        let mut big = header(256 * 1024 * 1024);
        big.extend_from_slice(b"only the start of it");
        let (start, rest) = big.split_at(5);
        assert!(guard.inspect(start), "half a header says nothing yet");
        assert!(!guard.inspect(rest), "refused before its payload arrives");
        assert!(!FrameGuard::new((), 10).inspect(&header(11)));
    }
}
