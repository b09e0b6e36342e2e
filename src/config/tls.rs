//! `ssl_options`: client TLS under cassandra-driver's option names, made into the rustls client
//! configuration the `scylla` crate connects with. Every file is read and every key checked
//! when `AsyncCluster` is constructed, so a bad setting raises before any connection.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    SupportedProtocolVersion,
};

use crate::errors::{DriverError, DriverResult};
use crate::interop::names::python_type_name;

/// The keys `ssl_options` accepts: those of cassandra-driver's `ssl_options` that a Rust TLS
/// stack can honour.
const KEYS: &[&str] = &[
    "ca_certs",
    "certfile",
    "keyfile",
    "cert_reqs",
    "check_hostname",
    "server_hostname",
    "ssl_version",
];

// The values of Python's `ssl` constants (stable since Python 3.6).
const CERT_NONE: i64 = 0;
const CERT_OPTIONAL: i64 = 1;
const CERT_REQUIRED: i64 = 2;
const PROTOCOL_TLS: i64 = 2;
const PROTOCOL_TLSV1: i64 = 3;
const PROTOCOL_TLSV1_1: i64 = 4;
const PROTOCOL_TLSV1_2: i64 = 5;
const PROTOCOL_TLS_CLIENT: i64 = 16;

static TLS12_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];

fn invalid(message: String) -> DriverError {
    DriverError::Configuration(message)
}

fn repr(value: &Bound<'_, PyAny>) -> String {
    value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// How the server's certificate is checked.
enum Verification {
    /// The chain up to `ca_certs` (or the system's trust store), and the certificate's name:
    /// the node's IP address, or `server_hostname` when given.
    Full { server_hostname: Option<String> },
    /// The chain only (`check_hostname=False`).
    ChainOnly,
    /// Nothing (`cert_reqs=ssl.CERT_NONE`): encrypted, but the server is not authenticated.
    Nothing,
}

/// The settings of `ssl_options`, read and checked.
struct TlsSettings {
    ca_certs: Option<String>,
    certfile: Option<String>,
    keyfile: Option<String>,
    verification: Verification,
    versions: &'static [&'static SupportedProtocolVersion],
}

/// `ssl_options[key]`, None when absent or None.
fn given<'py>(options: &Bound<'py, PyDict>, key: &str) -> Option<Bound<'py, PyAny>> {
    options
        .get_item(key)
        .ok()
        .flatten()
        .filter(|v| !v.is_none())
}

/// `ssl_options[key]` as a path string, None when absent or None.
fn path_option(options: &Bound<'_, PyDict>, key: &str) -> DriverResult<Option<String>> {
    let Some(value) = given(options, key) else {
        return Ok(None);
    };
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Some(text.to_string()));
    }
    // An os.PathLike, as Python's ssl module takes.
    value
        .call_method0("__fspath__")
        .and_then(|p| p.extract::<String>())
        .map(Some)
        .map_err(|_| {
            invalid(format!(
                "ssl_options['{key}'] must be a path (str or os.PathLike), got {}",
                python_type_name(&value)
            ))
        })
}

/// `ssl_options[key]` as one of the `ssl` module's int constants, None when absent or None.
fn int_option(options: &Bound<'_, PyDict>, key: &str) -> DriverResult<Option<i64>> {
    let Some(value) = given(options, key) else {
        return Ok(None);
    };
    let number = (!value.is_instance_of::<PyBool>() && value.is_instance_of::<PyInt>())
        .then(|| value.extract::<i64>().ok())
        .flatten();
    number.map(Some).ok_or_else(|| {
        invalid(format!(
            "ssl_options['{key}'] must be one of the ssl module's constants, got {}",
            repr(&value)
        ))
    })
}

impl TlsSettings {
    fn read(options: &Bound<'_, PyAny>) -> DriverResult<Self> {
        let options = options.cast::<PyDict>().map_err(|_| {
            invalid(format!(
                "ssl_options must be a dict such as {{'ca_certs': 'ca.pem'}}, got {}",
                python_type_name(options)
            ))
        })?;
        for key in options.keys() {
            let name: String = key.extract().map_err(|_| {
                invalid(format!("ssl_options keys must be str, got {}", repr(&key)))
            })?;
            if !KEYS.contains(&name.as_str()) {
                return Err(invalid(format!(
                    "unknown ssl_options key '{name}'; aiocql accepts {}",
                    KEYS.join(", ")
                )));
            }
        }
        let cert_reqs = int_option(options, "cert_reqs")?.unwrap_or(CERT_REQUIRED);
        let verify = match cert_reqs {
            CERT_REQUIRED | CERT_OPTIONAL => true,
            CERT_NONE => false,
            other => {
                return Err(invalid(format!(
                    "ssl_options['cert_reqs'] must be ssl.CERT_REQUIRED (the default), \
                     ssl.CERT_OPTIONAL (the same for a client) or ssl.CERT_NONE, got {other}"
                )))
            }
        };
        let check_hostname = match given(options, "check_hostname") {
            None => verify,
            Some(value) if value.is_instance_of::<PyBool>() => value.is_truthy().unwrap_or(true),
            Some(value) => {
                return Err(invalid(format!(
                    "ssl_options['check_hostname'] must be True or False, got {}",
                    repr(&value)
                )))
            }
        };
        let server_hostname = given(options, "server_hostname")
            .map(|v| {
                v.extract::<String>().map_err(|_| {
                    invalid(format!(
                        "ssl_options['server_hostname'] must be a str, got {}",
                        repr(&v)
                    ))
                })
            })
            .transpose()?;
        let verification = match (verify, check_hostname, server_hostname) {
            (false, true, _) => {
                return Err(invalid(
                    "ssl_options: cert_reqs=ssl.CERT_NONE cannot be combined with \
                     check_hostname=True (a name cannot be checked on an unverified \
                     certificate)"
                        .into(),
                ))
            }
            (_, false, Some(_)) => {
                return Err(invalid(
                    "ssl_options['server_hostname'] names what the server's certificate is \
                     checked against, so it needs check_hostname=True (aiocql sends no SNI)"
                        .into(),
                ))
            }
            (false, false, None) => Verification::Nothing,
            (true, false, None) => Verification::ChainOnly,
            (true, true, name) => Verification::Full {
                server_hostname: name,
            },
        };
        let versions: &'static [&'static SupportedProtocolVersion] =
            match int_option(options, "ssl_version")? {
                None | Some(PROTOCOL_TLS) | Some(PROTOCOL_TLS_CLIENT) => rustls::ALL_VERSIONS,
                Some(PROTOCOL_TLSV1_2) => TLS12_ONLY,
                Some(PROTOCOL_TLSV1) | Some(PROTOCOL_TLSV1_1) => {
                    return Err(invalid(
                        "ssl_options['ssl_version']: TLS 1.0 and 1.1 are not supported \
                         (aiocql speaks TLS 1.2 and 1.3); use ssl.PROTOCOL_TLS_CLIENT"
                            .into(),
                    ))
                }
                Some(other) => {
                    return Err(invalid(format!(
                        "ssl_options['ssl_version'] must be ssl.PROTOCOL_TLS_CLIENT (TLS 1.2 \
                         or 1.3, the default), ssl.PROTOCOL_TLS or ssl.PROTOCOL_TLSv1_2, got \
                         {other}"
                    )))
                }
            };
        let certfile = path_option(options, "certfile")?;
        let keyfile = path_option(options, "keyfile")?;
        if keyfile.is_some() && certfile.is_none() {
            return Err(invalid(
                "ssl_options['keyfile'] needs ssl_options['certfile'], the client \
                 certificate it belongs to"
                    .into(),
            ));
        }
        Ok(TlsSettings {
            ca_certs: path_option(options, "ca_certs")?,
            certfile,
            keyfile,
            verification,
            versions,
        })
    }
}

/// The certificates of a PEM file, at least one.
fn certificates(key: &str, path: &str) -> DriverResult<Vec<CertificateDer<'static>>> {
    let unreadable = |e: &dyn fmt::Display| {
        invalid(format!(
            "ssl_options['{key}']: cannot read certificates from {path}: {e}"
        ))
    };
    let certs = CertificateDer::pem_file_iter(Path::new(path))
        .map_err(|e| unreadable(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable(&e))?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "ssl_options['{key}']: {path} has no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
}

fn private_key(key: &str, path: &str) -> DriverResult<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(Path::new(path)).map_err(|e| {
        invalid(format!(
            "ssl_options['{key}']: no private key read from {path} ({e}); aiocql reads \
             unencrypted PEM keys (PKCS#8, PKCS#1 or SEC1)"
        ))
    })
}

fn trust_anchors(ca_certs: Option<&str>) -> DriverResult<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match ca_certs {
        Some(path) => {
            for cert in certificates("ca_certs", path)? {
                roots.add(cert).map_err(|e| {
                    invalid(format!(
                        "ssl_options['ca_certs']: {path} holds a certificate that cannot be \
                         trusted as an authority: {e}"
                    ))
                })?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
            if roots.is_empty() {
                return Err(invalid(
                    "ssl_options has no 'ca_certs' and the system trust store has no \
                     certificates: give ssl_options['ca_certs'], the PEM file of the \
                     authority that signed the nodes' certificates"
                        .into(),
                ));
            }
        }
    }
    Ok(roots)
}

/// The rustls client configuration for `ssl_options` (a dict of cassandra-driver's keys).
/// `ConfigurationError` names the key at fault: an unknown key, an unreadable or invalid
/// file, a key that does not match its certificate, or a combination that cannot work.
pub(crate) fn client_config(options: &Bound<'_, PyAny>) -> DriverResult<Arc<ClientConfig>> {
    let settings = TlsSettings::read(options)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(settings.versions)
        .map_err(|e| invalid(format!("ssl_options['ssl_version']: {e}")))?;
    if matches!(settings.verification, Verification::Nothing) && settings.ca_certs.is_some() {
        return Err(invalid(
            "ssl_options: ca_certs is not used with cert_reqs=ssl.CERT_NONE; remove one of them"
                .into(),
        ));
    }
    let roots = match settings.verification {
        Verification::Nothing => RootCertStore::empty(),
        _ => trust_anchors(settings.ca_certs.as_deref())?,
    };
    let verifier = server_verifier(&settings.verification, roots, provider)?;
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match settings.certfile {
        None => builder.with_no_client_auth(),
        Some(certfile) => {
            let chain = certificates("certfile", &certfile)?;
            let key = match &settings.keyfile {
                Some(keyfile) => private_key("keyfile", keyfile)?,
                None => private_key("certfile", &certfile).map_err(|_| {
                    invalid(format!(
                        "ssl_options['certfile']: {certfile} has no private key; give \
                         ssl_options['keyfile'] too"
                    ))
                })?,
            };
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                invalid(format!(
                    "ssl_options['keyfile'] does not fit ssl_options['certfile']: {e}"
                ))
            })?
        }
    };
    Ok(Arc::new(config))
}

/// The check of a server's certificate that `verification` asks for, trusting `roots`.
fn server_verifier(
    verification: &Verification,
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
) -> DriverResult<Arc<dyn ServerCertVerifier>> {
    let name = match verification {
        Verification::Nothing => return Ok(Arc::new(NoVerification(provider))),
        Verification::Full {
            server_hostname: None,
        } => None,
        Verification::Full {
            server_hostname: Some(name),
        } => Some(NameCheck::Named(
            ServerName::try_from(name.clone())
                .map_err(|e| invalid(format!("ssl_options['server_hostname'] {name:?}: {e}")))?,
        )),
        Verification::ChainOnly => Some(NameCheck::Skipped),
    };
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| invalid(format!("ssl_options['ca_certs']: {e}")))?;
    Ok(match name {
        None => webpki,
        Some(name) => Arc::new(NameOverride {
            inner: webpki,
            name,
        }),
    })
}

/// What the certificate's name is checked against, instead of the node's IP address.
#[derive(Debug)]
enum NameCheck {
    Named(ServerName<'static>),
    Skipped,
}

/// webpki's verification with another name check: the crate connects with the node's IP
/// address as the server name, which `server_hostname` replaces and `check_hostname=False`
/// drops (webpki checks the name last, so a name error means the chain was valid).
#[derive(Debug)]
struct NameOverride {
    inner: Arc<WebPkiServerVerifier>,
    name: NameCheck,
}

impl ServerCertVerifier for NameOverride {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.name {
            NameCheck::Named(name) => {
                self.inner
                    .verify_server_cert(end_entity, intermediates, name, ocsp_response, now)
            }
            NameCheck::Skipped => match self.inner.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            },
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `cert_reqs=ssl.CERT_NONE`: any certificate is accepted; the handshake's signatures are
/// still checked, so the connection is encrypted to whoever holds the certificate's key.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    /// A CA's root store and a leaf certificate it signed for `names`.
    fn signed_leaf(names: &[&str]) -> (RootCertStore, CertificateDer<'static>) {
        let ca_key = KeyPair::generate().expect("key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = CertificateParams::new(names)
            .expect("params")
            .signed_by(&leaf_key, &issuer)
            .expect("leaf");
        let mut roots = RootCertStore::empty();
        roots.add(ca.der().clone()).expect("root");
        (roots, leaf.der().clone())
    }

    fn check(
        verification: Verification,
        roots: RootCertStore,
        leaf: &CertificateDer<'static>,
        node: &str,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = server_verifier(&verification, roots, provider).expect("verifier");
        let node = ServerName::try_from(node.to_owned()).expect("name");
        verifier.verify_server_cert(leaf, &[], &node, &[], UnixTime::now())
    }

    fn full(server_hostname: Option<&str>) -> Verification {
        Verification::Full {
            server_hostname: server_hostname.map(str::to_owned),
        }
    }

    fn is_name_error(result: Result<ServerCertVerified, rustls::Error>) -> bool {
        matches!(
            result,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            ))
        )
    }

    #[test]
    fn by_default_the_certificate_must_name_the_nodes_address() {
        let (roots, leaf) = signed_leaf(&["10.0.0.1"]);
        assert!(check(full(None), roots.clone(), &leaf, "10.0.0.1").is_ok());
        assert!(is_name_error(check(full(None), roots, &leaf, "10.0.0.2")));
    }

    #[test]
    fn server_hostname_replaces_the_nodes_address() {
        let (roots, leaf) = signed_leaf(&["db.example.com"]);
        let named = |name| full(Some(name));
        assert!(check(named("db.example.com"), roots.clone(), &leaf, "10.0.0.1").is_ok());
        assert!(is_name_error(check(
            named("other.example.com"),
            roots,
            &leaf,
            "10.0.0.1"
        )));
    }

    #[test]
    fn check_hostname_false_skips_the_name_but_not_the_chain() {
        let (roots, leaf) = signed_leaf(&["db.example.com"]);
        assert!(check(Verification::ChainOnly, roots, &leaf, "10.0.0.1").is_ok());
        let (other_roots, _) = signed_leaf(&["db.example.com"]);
        let untrusted = check(Verification::ChainOnly, other_roots, &leaf, "10.0.0.1");
        // Both test CAs have rcgen's default name, so webpki finds the issuer by name and then
        // refuses its signature.
        assert!(
            matches!(
                untrusted,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::BadSignature | CertificateError::UnknownIssuer
                ))
            ),
            "{untrusted:?}"
        );
    }

    #[test]
    fn cert_none_accepts_any_certificate() {
        let (_, leaf) = signed_leaf(&["db.example.com"]);
        let nothing = Verification::Nothing;
        assert!(check(nothing, RootCertStore::empty(), &leaf, "10.0.0.1").is_ok());
    }
}
