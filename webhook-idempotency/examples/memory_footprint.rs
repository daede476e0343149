//! Resident memory of a full `MemoryStore`, per key: the figure `DEFAULT_CAPACITY` is sized by.
//!
//! ```sh
//! cargo run -p webhook-idempotency --example memory_footprint -- -n 100000 --keys mixed --churn 2
//! ```
//!
//! Reads the process's resident set (`VmRSS` in `/proc/self/status`, Linux only) before and
//! after filling a store of capacity `n` with `n` events, each claimed and completed through the
//! public [`Store`] API exactly as `IdempotencyGuard` does it: the storage key
//! `webhook:<endpoint>:<key>` (keys `evt_` + 24 characters, Stripe's form, or `sha256:` + 64
//! hex, the body-hash fallback), an in-flight record with a 32-hex token, then a done record with
//! the body's 64-hex fingerprint kept 24 h. Then `churn × n` more events go through the full
//! store (each evicting the oldest done one), and the resident set is read again: that is the
//! steady state of a store that stays full, with its stale expiry-heap items.
//!
//! The figures are a property of the data layout, not of the optimiser: a debug build measures
//! the same bytes as a release build.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use webhook_idempotency::{
    DEFAULT_RETENTION, Fingerprint, IdempotencyGuard, MemoryStore, Record, Store, StoreError,
};

#[derive(Clone, Copy, ValueEnum)]
enum Keys {
    /// `webhook:stripe:evt_<24 chars>` (43 bytes).
    Evt,
    /// `webhook:orders:sha256:<64 hex>` (86 bytes).
    Sha256,
    /// Half of each.
    Mixed,
}

#[derive(Parser)]
struct Args {
    /// Events to fill the store with; also its capacity.
    #[arg(short, default_value_t = 100_000)]
    n: usize,
    /// Which event keys.
    #[arg(long, value_enum, default_value = "mixed")]
    keys: Keys,
    /// After filling, push `churn × n` more events through the full store.
    #[arg(long, default_value_t = 2)]
    churn: usize,
}

/// The resident set in bytes, from `/proc/self/status`.
fn rss() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .ok_or("no VmRSS line in /proc/self/status")?
        .trim()
        .parse::<u64>()?;
    Ok(kib * 1024)
}

/// Deterministic, realistic-looking ids: 24 base-62 characters, or the body's hex SHA-256.
fn event_key(keys: Keys, i: usize, body: &[u8]) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let sha = match keys {
        Keys::Evt => false,
        Keys::Sha256 => true,
        Keys::Mixed => i % 2 == 1,
    };
    if sha {
        return format!("sha256:{}", Fingerprint::of(body).as_str());
    }
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut id = String::from("evt_");
    for _ in 0..24 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        id.push(char::from(ALPHABET[(x % 62) as usize]));
    }
    id
}

struct Totals {
    accepted: usize,
    refused: usize,
    key_bytes: usize,
}

async fn push(
    store: &MemoryStore,
    guard: &IdempotencyGuard,
    keys: Keys,
    range: std::ops::Range<usize>,
) -> Result<Totals, StoreError> {
    let mut totals = Totals {
        accepted: 0,
        refused: 0,
        key_bytes: 0,
    };
    for i in range {
        let body = format!(r#"{{"id":"{i}","type":"order.paid","data":{{"amount":1999}}}}"#);
        let key = guard.storage_key(&event_key(keys, i, body.as_bytes()));
        let fingerprint = Fingerprint::of(body.as_bytes());
        let claim = Record::InFlight {
            token: format!("{:032x}", rand::random::<u128>()),
            fingerprint: fingerprint.clone(),
        };
        match store.claim(&key, &claim, Duration::from_secs(30)).await {
            Ok(None) => {}
            Ok(Some(_)) => continue,
            Err(StoreError::Full { .. }) => {
                totals.refused += 1;
                continue;
            }
            Err(e) => return Err(e),
        }
        let done = Record::Done {
            status: 200,
            fingerprint,
        };
        store
            .complete(&key, &claim, &done, DEFAULT_RETENTION)
            .await?;
        totals.accepted += 1;
        totals.key_bytes += key.len();
    }
    Ok(totals)
}

fn report(label: &str, bytes: u64, n: usize) {
    let per_key = bytes as f64 / n as f64;
    println!(
        "{label}: {:.1} MiB resident for {n} keys = {per_key:.0} bytes/key = {:.1} MB per 100,000 keys",
        bytes as f64 / (1024.0 * 1024.0),
        per_key * 100_000.0 / 1e6,
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = MemoryStore::with_capacity(args.n);
        let endpoint = match args.keys {
            Keys::Sha256 => "orders",
            _ => "stripe",
        };
        let guard = IdempotencyGuard::builder()
            .store(store.clone())
            .endpoint(endpoint)
            .build();
        // Warm up the allocator and the formatting paths outside the measured region.
        let scratch = MemoryStore::with_capacity(1_000);
        push(&scratch, &guard, args.keys, 0..1_000).await?;
        drop(scratch);

        let before = rss()?;
        let fill = push(&store, &guard, args.keys, 0..args.n).await?;
        let filled = rss()?;
        println!(
            "filled: {} accepted, {} refused, {} keys held, mean storage key {:.0} bytes",
            fill.accepted,
            fill.refused,
            store.len(),
            fill.key_bytes as f64 / fill.accepted.max(1) as f64,
        );
        report("after filling", filled.saturating_sub(before), args.n);

        let extra = args.churn * args.n;
        let churn = push(&store, &guard, args.keys, args.n..args.n + extra).await?;
        let churned = rss()?;
        println!(
            "churned: {} more accepted, {} refused, {} keys held, store: {store:?}",
            churn.accepted,
            churn.refused,
            store.len(),
        );
        report("full, after churn", churned.saturating_sub(before), args.n);
        Ok(())
    })
}
