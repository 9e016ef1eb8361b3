//! [`SimStore`]: a node's handle on the simulated store, implementing the core's
//! `ObjectStore`. Each call binds a fresh endpoint on the calling node, sends one request
//! with a unique id and waits for the reply up to the request timeout; no reply in time is
//! `UnknownOutcome` — the request may or may not have taken effect.

use super::op::StoreOp;
use super::server::StoreCore;
use super::wire::{REQUEST_TAG, ReplyBody, RequestBody, WireReply, WireRequest};
use bytes::Bytes;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, ObjectStore, PutMode, StoreError,
};
use madsim::net::Endpoint;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The store as one node sees it. Clone + Send + Sync; clones share the node name.
#[derive(Clone)]
pub struct SimStore {
    node: Arc<str>,
    core: Arc<StoreCore>,
    request_timeout: Duration,
}

impl std::fmt::Debug for SimStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimStore")
            .field("node", &self.node)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

fn unknown(path: &str) -> StoreError {
    StoreError::UnknownOutcome {
        path: path.to_string(),
    }
}

impl SimStore {
    pub(crate) fn new(node: &str, core: Arc<StoreCore>) -> SimStore {
        let request_timeout = Duration::from_millis(core.config.request_timeout_ms);
        SimStore {
            node: Arc::from(node),
            core,
            request_timeout,
        }
    }

    /// The name of the node this handle speaks for.
    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The same handle with another request timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> SimStore {
        self.request_timeout = timeout;
        self
    }

    /// One round trip. Any failure to hear back is `UnknownOutcome`: once a request may have
    /// left this node, nothing here can know whether it took effect.
    async fn call(&self, body: RequestBody) -> Result<ReplyBody, StoreError> {
        let id = self.core.next_request_id();
        let op: StoreOp = body.op();
        let path = body.path().to_string();
        let local = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
        let endpoint = Endpoint::bind(local)
            .await
            .map_err(|error| StoreError::Transient {
                path: path.clone(),
                detail: format!("client could not bind an endpoint: {error}"),
            })?;
        let request = WireRequest {
            id,
            node: self.node.clone(),
            body,
        };
        endpoint
            .send_to_raw(self.core.config.address, REQUEST_TAG, Box::new(request))
            .await
            .map_err(|_| unknown(&path))?;
        match madsim::time::timeout(self.request_timeout, endpoint.recv_from_raw(id)).await {
            Ok(Ok((payload, _from))) => match payload.downcast::<WireReply>() {
                Ok(reply) => Ok(reply.body),
                Err(_) => Err(unknown(&path)),
            },
            Ok(Err(_)) => Err(unknown(&path)),
            Err(_elapsed) => {
                self.core.note_client_timeout(&self.node, id, op, &path);
                Err(unknown(&path))
            }
        }
    }
}

impl ObjectStore for SimStore {
    async fn get(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        let body = RequestBody::Get {
            path: path.to_string(),
            range,
        };
        match self.call(body).await? {
            ReplyBody::Get(result) => result,
            _ => Err(unknown(path)),
        }
    }

    async fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        let body = RequestBody::Head {
            path: path.to_string(),
        };
        match self.call(body).await? {
            ReplyBody::Head(result) => result,
            _ => Err(unknown(path)),
        }
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        let body = RequestBody::Put {
            path: path.to_string(),
            bytes,
            mode,
            attributes,
        };
        match self.call(body).await? {
            ReplyBody::Put(result) => result,
            _ => Err(unknown(path)),
        }
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        let body = RequestBody::Delete {
            path: path.to_string(),
        };
        match self.call(body).await? {
            ReplyBody::Delete(result) => result,
            _ => Err(unknown(path)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let body = RequestBody::List {
            prefix: prefix.to_string(),
        };
        match self.call(body).await? {
            ReplyBody::List(result) => result,
            _ => Err(unknown(prefix)),
        }
    }
}
