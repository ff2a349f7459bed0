//! Why a certificate command was refused, and what people read about it.

use super::messages;
use crate::message::Message;

/// Why a certificate command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateRejection {
    /// Request on an existing certificate.
    #[error("the certificate already exists")]
    AlreadyExists,
    /// Anything but Request on a certificate that was never requested.
    #[error("no such certificate")]
    NotFound,
    /// Anything on a deleted certificate.
    #[error("the certificate was deleted")]
    Deleted,
    /// The spec breaks a rule; every problem with its field.
    #[error("the certificate is invalid: {}", super::certificate_invalid(.0))]
    Invalid(Vec<(String, Message)>),
    /// A renewal, not forced, while an order is under way.
    #[error("an order is already under way")]
    OrderUnderWay,
    /// A worker's fact of an order when none is under way.
    #[error("no order is under way")]
    NoOrderUnderWay,
    /// A fact about a certificate when none was issued.
    #[error("no certificate was issued yet")]
    NotIssued,
    /// A fact about another certificate than the current one.
    #[error("the current certificate is {current}, not {given}")]
    SerialMismatch {
        /// The current certificate's serial.
        current: String,
        /// The serial of the refused fact.
        given: String,
    },
    /// An issued certificate whose validity ends before it starts.
    #[error("a certificate must end after it starts")]
    ValidityInverted,
    /// A renewal window whose end is not after its start.
    #[error("a renewal window must end after it starts")]
    WindowInverted,
    /// A worker's fact with a value of the wrong shape.
    #[error("the worker's fact has an invalid {0}")]
    FactInvalid(&'static str),
}

impl CertificateRejection {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::AlreadyExists => messages::certificate_exists(),
            Self::NotFound => messages::certificate_not_found(),
            Self::Deleted => messages::certificate_deleted(),
            Self::Invalid(problems) => super::certificate_invalid(problems),
            Self::OrderUnderWay => messages::order_under_way(),
            Self::NoOrderUnderWay => messages::no_order_under_way(),
            Self::NotIssued => messages::not_issued(),
            Self::SerialMismatch { current, given } => messages::serial_mismatch(current, given),
            Self::ValidityInverted => messages::validity_inverted(),
            Self::WindowInverted => messages::window_inverted(),
            Self::FactInvalid(field) => messages::fact_invalid(*field),
        }
    }

    /// Every problem with its field, for `details.fields` (empty for the other rejections).
    pub fn field_problems(&self) -> &[(String, Message)] {
        match self {
            Self::Invalid(problems) => problems,
            _ => &[],
        }
    }
}
