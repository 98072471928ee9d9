//! ungsam's outreach and its handover to insatser through the API.

mod handover;
mod outreach;
