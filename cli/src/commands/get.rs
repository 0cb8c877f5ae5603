//! `partner-alerts get ID`: one alert, as a list of properties or JSON.

use std::io::{self, BufWriter, Write};

use partner_alerts::AlertId;

use crate::cli::GetArgs;
use crate::connect::Session;
use crate::exit::{Failure, Outcome};
use crate::table;

pub async fn run(session: &Session, args: &GetArgs, json: bool) -> Outcome {
    let id = AlertId::new(args.id.trim()).map_err(|e| Failure::Usage(format!("alert id: {e}")))?;
    let found = session.tenants.get(&id).await.map_err(|e| {
        let f = Failure::from_library(&e.error);
        if session.multi {
            match f {
                Failure::Usage(m) => Failure::Usage(format!("tenant {}: {m}", e.tenant)),
                Failure::Error(m) => Failure::Error(format!("tenant {}: {m}", e.tenant)),
                other => other,
            }
        } else {
            f
        }
    })?;
    let mut out = BufWriter::new(io::stdout().lock());
    if json {
        if session.multi {
            serde_json::to_writer_pretty(&mut out, &found)
        } else {
            serde_json::to_writer_pretty(&mut out, &found.alert)
        }
        .map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        table::write_alert(&mut out, &found, session.multi)?;
    }
    out.flush()?;
    Ok(())
}
