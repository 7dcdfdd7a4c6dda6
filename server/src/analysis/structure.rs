use super::Finding;
use crate::config::Config;
use crate::model::Workloads;
use crate::syntax::{Node, ParsedFile};

pub(super) struct Context<'a> {
    pub text: &'a str,
    pub file: &'a ParsedFile,
    pub config: &'a Config,
    pub root: &'a Node,
    pub workloads: &'a Workloads<'a>,
}

pub(super) fn check(_cx: &mut Context, _findings: &mut Vec<Finding>) {}
