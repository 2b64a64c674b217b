//! Who a kubectl command acts as: `--token`, `--as`, `--as-group`, accepted anywhere on the
//! line, as kubectl's global flags are.

use super::parse::tokenize;
use crate::sim::api::request::UserInfo;

/// The flags every kubectl command takes that say who is asking: `--token`, `--as`,
/// `--as-group`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub token: Option<String>,
    pub impersonate: Option<UserInfo>,
    /// No credential at all (curl without a client certificate).
    pub anonymous: bool,
    /// curl as an authenticating proxy: its certificate's CN and the X-Remote-* user.
    pub proxied: Option<(String, UserInfo)>,
}

/// Takes the identity flags out of a command line's words.
pub(super) fn split_identity(tokens: &[String]) -> Result<(Vec<String>, Identity), String> {
    let mut rest = Vec::new();
    let (mut token, mut user, mut groups) = (None, None, Vec::new());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t == "--" {
            rest.extend_from_slice(&tokens[i..]);
            break;
        }
        let flag = ["token", "as", "as-group"].into_iter().find_map(|f| {
            let long = format!("--{f}");
            if *t == long {
                Some((f, None))
            } else {
                t.strip_prefix(&format!("{long}=")).map(|v| (f, Some(v.to_string())))
            }
        });
        match flag {
            Some((f, inline)) => {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        tokens.get(i).cloned().ok_or_else(|| format!("error: flag needs an argument: --{f}"))?
                    }
                };
                match f {
                    "token" => token = Some(value),
                    "as" => user = Some(value),
                    _ => groups.push(value),
                }
            }
            None => rest.push(t.clone()),
        }
        i += 1;
    }
    if user.is_none() && !groups.is_empty() {
        return Err("error: requesting uid, groups or user-extra for  without impersonating a user".into());
    }
    let impersonate = user.map(|name| UserInfo { name, uid: String::new(), groups });
    Ok((rest, Identity { token, impersonate, ..Default::default() }))
}

/// The identity flags of a command line.
pub fn identity(line: &str) -> Result<Identity, String> {
    Ok(split_identity(&tokenize(line)?)?.1)
}
