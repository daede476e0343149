//! One module per subcommand, each with its `Args` struct and its `run` function; the
//! dispatcher is [`crate::cli::Command`].

pub mod check;
pub mod inbox;
pub mod inbox_history;
pub mod listen;
pub mod payload;
pub mod queue;
pub mod send;
pub mod sign;
pub mod verify;
