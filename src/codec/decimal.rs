//! decimal <-> `decimal.Decimal`, exactly: no context rounding in either direction.
//!
//! On the wire a decimal is a 32-bit scale followed by the unscaled value as a varint. Python
//! ints are accepted too (scale 0); floats are refused because their binary value is rarely the
//! decimal the caller had in mind (pass `Decimal(str(x))`). NaN and infinities cannot be
//! represented in CQL and are refused.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyTuple};

use super::integer::{read_varint, write_varint_i128, write_varint_py};
use super::{classes, classes_for_bind, malformed, ConvError, ConvResult};

pub(crate) fn serialize(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let py = value.py();
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        out.extend_from_slice(&0i32.to_be_bytes());
        return write_varint_py(value, out);
    }
    let decimal_class = classes_for_bind(py)?.decimal.bind(py);
    // A float is taken exactly, as cassandra-driver does: Decimal(0.1) is
    // 0.1000000000000000055511151231257827021181583404541015625, not 0.1.
    let exact;
    let value = if value.is_instance_of::<PyFloat>() {
        exact = decimal_class
            .call1((value,))
            .map_err(|e| ConvError::value(e.to_string()))?;
        &exact
    } else {
        value
    };
    if !value.is_instance(decimal_class).unwrap_or(false) {
        return Err(ConvError::type_mismatch(
            "decimal.Decimal, int or float for CQL decimal",
            value,
        ));
    }
    let parts = value
        .call_method0("as_tuple")
        .map_err(|e| ConvError::value(e.to_string()))?;
    let parts = parts
        .cast::<PyTuple>()
        .map_err(|e| ConvError::value(e.to_string()))?;
    let err = |e: PyErr| ConvError::value(e.to_string());
    let sign: u8 = parts.get_item(0).and_then(|s| s.extract()).map_err(err)?;
    let exponent = parts.get_item(2).map_err(err)?;
    let Ok(exponent) = exponent.extract::<i64>() else {
        return Err(ConvError::value(format!(
            "{} cannot be stored: CQL decimal has no NaN or infinity",
            value.str().map(|s| s.to_string()).unwrap_or_default()
        )));
    };
    let scale = i32::try_from(-exponent).map_err(|_| {
        ConvError::value(format!(
            "exponent {exponent} is out of range for CQL decimal (32-bit scale)"
        ))
    })?;
    let digits_tuple = parts.get_item(1).map_err(err)?;
    let digits: Vec<u8> = digits_tuple.extract().map_err(err)?;
    out.extend_from_slice(&scale.to_be_bytes());
    if digits.len() <= 38 {
        let mut unscaled: i128 = 0;
        for d in &digits {
            unscaled = unscaled * 10 + i128::from(*d);
        }
        if sign == 1 {
            unscaled = -unscaled;
        }
        write_varint_i128(unscaled, out);
        return Ok(());
    }
    let mut text: String = if sign == 1 { "-".into() } else { String::new() };
    text.extend(digits.iter().map(|d| char::from(b'0' + d)));
    let unscaled = py
        .import("builtins")
        .and_then(|b| b.getattr("int"))
        .and_then(|int| int.call1((text,)))
        .map_err(err)?;
    write_varint_py(&unscaled, out)
}

pub(crate) fn deserialize<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    if bytes.len() < 4 {
        return Err(malformed("decimal", "shorter than its 4-byte scale"));
    }
    let scale = i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let unscaled = read_varint(py, &bytes[4..])?;
    // The string constructor is exact; arithmetic such as scaleb() would round to the context.
    let text = format!("{}E{}", unscaled.str()?, -i64::from(scale));
    classes(py)?.decimal.bind(py).call1((text,))
}
