//! The bare workers-rs proxy: forward to `ORIGIN_URL`'s port, nothing else.
use worker::{Context, Env, Fetch, Request, RequestInit, Response, Result, Url, event};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let mut url = req.url()?;
    let origin = Url::parse(&env.var("ORIGIN_URL")?.to_string())?;
    let _ = url.set_port(origin.port());
    let mut init = RequestInit::new();
    init.with_method(req.method());
    Fetch::Request(Request::new_with_init(url.as_str(), &init)?).send().await
}
