//! The fences of the stores whose locks are leases (SQLite, Redis): 128 bits from the OS, in
//! hex, which no other holder has.

use crate::Error;

/// A new fence.
pub(crate) fn random() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Randomness {
        source: Box::new(e),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
