//! `outreach`: the Outreach server and its command line.

use clap::{Parser, Subcommand};
use server::cli;

#[derive(Parser)]
#[command(
    name = "outreach",
    version,
    about = "Personal sales outreach from your team's Gmail accounts"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app, the REST API and the background workers (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user in the team with the given name (created if it does not exist).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// The team's name.
        #[arg(long)]
        team: String,
        #[arg(long, value_parser = ["admin", "rep"])]
        role: String,
        /// Display name (defaults to the part of the address before the @).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; prints only the token on stdout.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for (shown in the UI).
        #[arg(long, default_value = "created with outreach token create")]
        name: String,
    },
}

fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    // A missing .env is normal; a broken one is reported by the configuration check.
    let _ = dotenvy::dotenv();
    server::telemetry::init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime");
    let outcome = runtime.block_on(async move {
        match args.command.unwrap_or(Command::Serve) {
            Command::Serve => cli::serve().await,
            Command::Migrate => cli::migrate().await,
            Command::User(UserCommand::Create { email, password, team, role, name }) => {
                cli::create_user(&email, &password, &team, &role, name.as_deref()).await
            }
            Command::Token(TokenCommand::Create { email, name }) => {
                cli::create_token(&email, &name).await
            }
        }
    });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
