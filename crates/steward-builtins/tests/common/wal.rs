//! Reading a SQLite write-ahead log (https://sqlite.org/fileformat2.html#walformat):
//! where each committed transaction ends, and the database as it was after it.
//! A test sees every transaction another connection made this way, without
//! racing it.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

/// The WAL header's size, before the first frame.
const HEADER: usize = 32;

/// A frame header's size, before its page.
const FRAME_HEADER: usize = 24;

fn wal_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes.try_into().expect("four bytes"))
}

/// Where, in bytes, each transaction committed to `database`'s WAL ends, in
/// commit order: the frames whose salts match the header's, up to each frame
/// that marks a commit. Empty when there is no WAL or nothing in it.
pub fn commits(database: &Path) -> Vec<usize> {
    let wal = std::fs::read(wal_of(database)).unwrap_or_default();
    if wal.len() < HEADER {
        return Vec::new();
    }
    let page_size = usize::try_from(be32(&wal[8..12])).expect("a page size");
    let salts = &wal[16..24];
    let frame = FRAME_HEADER + page_size;
    let mut ends = Vec::new();
    let mut at = HEADER;
    while at + frame <= wal.len() {
        let header = &wal[at..at + FRAME_HEADER];
        // Frames left from before the log was last restarted have older salts.
        if &header[8..16] != salts {
            break;
        }
        at += frame;
        // A commit frame holds the database's size in pages after the commit.
        if be32(&header[4..8]) != 0 {
            ends.push(at);
        }
    }
    ends
}

/// A copy of `database`, in `dir`, as it was once its WAL's first `end` bytes
/// were written: the database file and the log cut there (SQLite rebuilds its
/// index from the log when it opens the copy).
pub fn as_of(database: &Path, end: usize, dir: &Path) -> Connection {
    let copy = dir.join(format!("as-of-{end}.db"));
    std::fs::copy(database, &copy).expect("the database is copied");
    let wal = std::fs::read(wal_of(database)).expect("the WAL is read");
    std::fs::write(wal_of(&copy), &wal[..end]).expect("the WAL is copied");
    Connection::open(&copy).expect("the copy opens")
}
