//! The cluster canvas: a stable layout of components, drawn as a pure function of the
//! simulation's view and trace, the camera and the time.

pub mod apiserver;
pub mod controllers;
pub mod draw;
pub mod etcd;
pub mod layout;
pub mod palette;
pub mod scheduling;
pub mod tiles;
