//! [`GraphDirectory`]: customers' names through Graph (reference section 12), for a partner
//! with a Graph token only.

use futures::TryStreamExt;

use super::model::{Contract, DelegatedAdminCustomer};
use crate::GraphClient;
use crate::endpoint::join;
use crate::error::Result;

/// Customers' names through Microsoft Graph: `/contracts` (section 12.1; `Directory.Read.All`;
/// names copied when the partnership began) and `/tenantRelationships/delegatedAdminCustomers`
/// (section 12.2; `DelegatedAdminRelationship.Read.All`; live names, GDAP customers only).
///
/// It talks through a [`GraphClient`]'s transport: the same credential, retries and base URL
/// (both collections exist under `beta` and `v1.0`). Cheap to clone; caches nothing.
///
/// ```no_run
/// # async fn run() -> partner_alerts::Result<()> {
/// use partner_alerts::GraphClient;
/// use partner_alerts::auth::ClientSecretCredential;
/// use partner_alerts::enrich::GraphDirectory;
///
/// let client = GraphClient::builder().credential(ClientSecretCredential::from_env()?).build()?;
/// for c in GraphDirectory::new(&client).contracts().await? {
///     println!("{:?} {:?}", c.customer_id, c.display_name);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct GraphDirectory {
    client: GraphClient,
}

impl GraphDirectory {
    /// A directory on `client`'s transport and base URL.
    pub fn new(client: &GraphClient) -> Self {
        GraphDirectory {
            client: client.clone(),
        }
    }

    /// Every contract (`GET /contracts`, following `@odata.nextLink`; no server filter, Q60).
    pub async fn contracts(&self) -> Result<Vec<Contract>> {
        self.all(&["contracts"]).await
    }

    /// Every GDAP customer (`GET /tenantRelationships/delegatedAdminCustomers`, following
    /// `@odata.nextLink`).
    pub async fn delegated_admin_customers(&self) -> Result<Vec<DelegatedAdminCustomer>> {
        self.all(&["tenantRelationships", "delegatedAdminCustomers"])
            .await
    }

    async fn all<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: &[&str],
    ) -> Result<Vec<T>> {
        let url = join(self.client.base_url(), path);
        let pages: Vec<Vec<T>> = self.client.pages(url, "directory").try_collect().await?;
        Ok(pages.into_iter().flatten().collect())
    }
}
