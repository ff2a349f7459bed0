//! Hash on this thread while another thread decodes the same bytes: the file is read once, 1 MiB at a time,
//! through a bounded channel (at most a few MiB in flight, buffers recycled), so a full check costs about as long
//! as the slower of SHA-256 and zstd decompression instead of both.

use std::{
    fs::File,
    io::{self, BufRead, Read},
    sync::mpsc::{self, Receiver, Sender},
};

use sha2::{Digest as _, Sha256};

use super::{CHUNK, VerifyError, decoder};
use crate::{encryption::Identity, messages};

/// Chunks queued between the hashing and the decoding thread.
const IN_FLIGHT: usize = 4;

/// The SHA-256 of `file` and, separately, how many bytes its stream decodes to (or why it does not decode). An
/// error reading the file itself is the outer error.
pub(super) fn hash_and_decode(
    mut file: File,
    identity: Option<(&Identity, &str)>,
) -> io::Result<([u8; 32], Result<u64, VerifyError>)> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
    let (spent_tx, spent_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let decoding = scope.spawn(move || {
            let reader = ChannelReader { chunks: full_rx, spent: spent_tx, current: Vec::new(), pos: 0 };
            decode_all(reader, identity)
        });
        let mut hasher = Sha256::new();
        let mut sending = Some(full_tx);
        loop {
            let mut buf = spent_rx.try_recv().unwrap_or_default();
            buf.resize(CHUNK, 0);
            let n = loop {
                match file.read(&mut buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            if n == 0 {
                break;
            }
            buf.truncate(n);
            hasher.update(&buf);
            // A decoder that stopped (it found an error) drops its side; hashing goes on to the end.
            if let Some(tx) = &sending
                && tx.send(buf).is_err()
            {
                sending = None;
            }
        }
        drop(sending);
        let decoded = decoding.join().unwrap_or_else(|_| Err(VerifyError::Corrupt(messages::decoder_panicked())));
        Ok((hasher.finalize().into(), decoded))
    })
}

/// Decodes everything and counts the plaintext bytes.
fn decode_all(reader: ChannelReader, identity: Option<(&Identity, &str)>) -> Result<u64, VerifyError> {
    let mut plain = decoder(reader, identity)?;
    let mut buf = vec![0; CHUNK];
    let mut total = 0u64;
    loop {
        match plain.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(VerifyError::Corrupt(messages::corrupt_after_bytes(total, e.to_string()))),
        }
    }
}

/// Reads the chunks a channel delivers; the end of the channel is the end of the stream.
struct ChannelReader {
    chunks: Receiver<Vec<u8>>,
    spent: Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChannelReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.current.len() {
            let Ok(next) = self.chunks.recv() else { return Ok(&[]) };
            let done = std::mem::replace(&mut self.current, next);
            self.pos = 0;
            if done.capacity() > 0 {
                // The hashing side may be gone already; the buffer is then simply freed.
                let _ = self.spent.send(done);
            }
        }
        Ok(&self.current[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.current.len());
    }
}
