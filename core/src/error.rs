//! The one error type of the engine. Every binding maps it in exactly one place.

/// Everything that can go wrong in the engine, each variant naming what was wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller passed a value the engine cannot accept; nothing was changed.
    #[error("invalid {field}: {message}")]
    InvalidArgument {
        /// The argument or field at fault, as the caller named it (`url`, `events[1]`, `limit`).
        field: String,
        /// What was expected instead.
        message: String,
    },
    /// No object of this kind has that id.
    #[error("{kind} not found: {id}")]
    NotFound {
        /// What was looked for: `webhook`, `cell`, `event`.
        kind: &'static str,
        /// The id that matched nothing.
        id: String,
    },
    /// The call is not valid in the object's current state (`run()` on a killed cell).
    #[error("{0}")]
    InvalidState(String),
    /// The operating system refused a file or process operation.
    #[error("{context}: {source}")]
    Io {
        /// What the engine was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stable, lower-case code for wire formats and bindings: `invalid_argument`, `not_found`,
    /// `invalid_state` or `io`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::NotFound { .. } => "not_found",
            Error::InvalidState(_) => "invalid_state",
            Error::Io { .. } => "io",
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument { field: field.into(), message: message.into() }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}
