//! Throwaway TLS material made with the `openssl` command line: a CA and a server certificate
//! for `127.0.0.1` / `localhost` signed by it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs `openssl` with `args` in `dir`; panics (never skips) if it is missing or fails.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "cannot run openssl ({e}): TLS tests need the openssl command line \
             (`apt-get install openssl`)"
        ),
    }
}

/// A self-signed CA (P-256, valid 2 days) in `dir/<name>.crt` and `dir/<name>.key`.
pub(crate) fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let (crt, key) = (format!("{name}.crt"), format!("{name}.key"));
    let subject = format!("/CN=webhook-testkit {name}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            &key,
            "-out",
            &crt,
            "-days",
            "2",
            "-subj",
            &subject,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    dir.join(crt)
}

/// A CA (`dir/ca.crt`, returned) plus a server certificate for `IP:127.0.0.1` and
/// `DNS:localhost` signed by it (`dir/server.crt`, `dir/server.key`).
pub(crate) fn make_server_files(dir: &Path) -> PathBuf {
    let ca_cert = make_ca(dir, "ca");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    let ext = "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
               keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
    if let Err(e) = std::fs::write(dir.join("server.ext"), ext) {
        panic!("cannot write {}: {e}", dir.join("server.ext").display());
    }
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
    ca_cert
}

/// A `redis-cli --tls PING` against the TLS port, trusting `ca`.
pub(crate) fn ping_tls(port: u16, ca: &Path) -> bool {
    Command::new("redis-cli")
        .args([
            "--tls",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--cacert",
        ])
        .arg(ca)
        .arg("PING")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "PONG")
}
