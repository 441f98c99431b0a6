//! The hunting engine behind `tripline hunt`: every rule over streams of events.

pub mod input;
