//! End-to-end tests: the real `recallform` binary against the Recall emulator on 127.0.0.1.

mod common;
mod diagnostics;
mod emulator;
mod examples;
mod faults;
mod gitops;
mod help;
mod input;
mod lifecycle;
mod network;
mod property;
mod readme;
mod reconcile;
mod relay;
mod relay_durable;
mod relay_spool;
mod security;
mod state;
mod status;
mod tools;
mod webhooks;
mod workflow;
mod workflow_example;
mod zoom;
mod zoom_guide;
