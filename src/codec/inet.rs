//! inet <-> `ipaddress.IPv4Address` / `IPv6Address` (a `str` address is accepted and parsed).

use std::net::IpAddr;
use std::str::FromStr;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use super::{classes, classes_for_bind, malformed, ConvError, ConvResult};

pub(crate) fn serialize(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let py = value.py();
    let cls = classes_for_bind(py)?;
    if value.is_instance(cls.ipv4.bind(py)).unwrap_or(false)
        || value.is_instance(cls.ipv6.bind(py)).unwrap_or(false)
    {
        let packed = value
            .getattr("packed")
            .map_err(|e| ConvError::value(e.to_string()))?;
        let packed = packed
            .cast::<PyBytes>()
            .map_err(|e| ConvError::value(e.to_string()))?;
        out.extend_from_slice(packed.as_bytes());
        return Ok(());
    }
    if let Ok(s) = value.cast::<PyString>() {
        let text = s.to_cow().map_err(|e| ConvError::value(e.to_string()))?;
        let addr = IpAddr::from_str(text.trim())
            .map_err(|_| ConvError::value(format!("{text:?} is not an IPv4 or IPv6 address")))?;
        match addr {
            IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
        }
        return Ok(());
    }
    Err(ConvError::type_mismatch(
        "ipaddress.IPv4Address, ipaddress.IPv6Address or str for CQL inet",
        value,
    ))
}

pub(crate) fn deserialize<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let cls = classes(py)?;
    let class = match bytes.len() {
        4 => &cls.ipv4,
        16 => &cls.ipv6,
        n => {
            return Err(malformed(
                "inet",
                &format!("expected 4 or 16 bytes, got {n}"),
            ))
        }
    };
    class.bind(py).call1((PyBytes::new(py, bytes),))
}
