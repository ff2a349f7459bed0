//! Placeholder until the engine helper writes it.

/// Why an archive failed verification.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {}
