//! The commands of the `outreach` binary.

use anyhow::Context;
use engine::config::Config;

use crate::database::Database;
use crate::startup::Application;

fn load_config() -> anyhow::Result<Config> {
    Config::from_env().map_err(|errors| anyhow::anyhow!("invalid configuration:\n{errors}"))
}

pub async fn serve() -> anyhow::Result<()> {
    let config = load_config()?;
    let app = Application::build(config).await?;
    app.run_until_stopped(crate::startup::shutdown_signal()).await
}

pub async fn migrate() -> anyhow::Result<()> {
    let config = load_config()?;
    let database = Database::open(&config, 2).await?;
    tracing::info!("migrations applied");
    database.close(false).await;
    Ok(())
}

pub async fn create_user(
    email: &str,
    password: &str,
    team: &str,
    role: &str,
    name: Option<&str>,
) -> anyhow::Result<()> {
    let config = load_config()?;
    let database = Database::open(&config, 2).await?;
    let result = async {
        let role = engine::model::Role::parse(role).context("role must be admin or rep")?;
        let password = engine::auth::Password::parse(password)?;
        let name = name
            .map(str::to_string)
            .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
        let (team, user) = engine::team::create_user_in_team_named(
            &database.pool,
            team,
            engine::team::NewUser { email: email.to_string(), name, role, password },
        )
        .await?;
        eprintln!("created {} ({}) in team {:?}", user.email, user.role.as_str(), team.name);
        anyhow::Ok(())
    }
    .await;
    database.close(false).await;
    result
}

/// Prints only the token on stdout, so `TOKEN=$(outreach token create --email …)` works.
pub async fn create_token(email: &str, name: &str) -> anyhow::Result<()> {
    let config = load_config()?;
    let database = Database::open(&config, 2).await?;
    let result = async {
        let user = engine::auth::user_by_email(&database.pool, email)
            .await
            .with_context(|| format!("no user {email}"))?;
        let (_, token) =
            engine::auth::create_api_token(&database.pool, user.team_id, user.id, name).await?;
        println!("{token}");
        anyhow::Ok(())
    }
    .await;
    database.close(false).await;
    result
}
