//! Teams and their users: first-run setup, the team's settings, and user management by
//! admins. Every function takes the caller's `team_id` and never touches another team.

use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::{Password, hash_password};
use crate::error::{Error, Result};
use crate::model::{OtherCampaignLeads, Role, Team, User};

/// What first-run setup (and `outreach user create` for a new team) needs.
#[derive(Debug, Clone)]
pub struct NewTeam {
    pub team_name: String,
    pub postal_address: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: Password,
}

/// True until the first user exists; the UI then leads every page to `/setup`.
pub async fn setup_needed(pool: &PgPool) -> Result<bool> {
    let any_user = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM users) AS "exists!""#)
        .fetch_one(pool)
        .await?;
    Ok(!any_user)
}

/// First-run setup: creates the team and its first admin, only while no user exists
/// (two people racing through setup cannot both become the first admin).
pub async fn first_run_setup(pool: &PgPool, team: NewTeam, admin: NewUser) -> Result<(Team, User)> {
    let team_input = validate_team(team)?;
    let admin = validate_user(admin)?;
    let password_hash = hash_password(admin.password.clone()).await?;
    let mut tx = pool.begin().await?;
    // Serializes concurrent setups; the lock is released at commit.
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('outreach:first-run-setup'))")
        .execute(&mut *tx)
        .await?;
    let any_user = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM users) AS "exists!""#)
        .fetch_one(&mut *tx)
        .await?;
    if any_user {
        return Err(Error::Conflict("setup is already done: sign in instead".into()));
    }
    let team = insert_team(&mut tx, &team_input).await?;
    let user = insert_user(&mut tx, team.id, &admin, &password_hash).await?;
    tx.commit().await?;
    Ok((team, user))
}

/// For the CLI: adds a user to the team with this name, creating the team if needed.
pub async fn create_user_in_team_named(
    pool: &PgPool,
    team_name: &str,
    user: NewUser,
) -> Result<(Team, User)> {
    let team_input =
        validate_team(NewTeam { team_name: team_name.to_string(), postal_address: String::new() })?;
    let user = validate_user(user)?;
    let password_hash = hash_password(user.password.clone()).await?;
    let mut tx = pool.begin().await?;
    let existing = sqlx::query_as!(
        Team,
        "SELECT id, name, postal_address, created_at FROM teams WHERE name = $1 ORDER BY created_at LIMIT 1",
        team_input.team_name
    )
    .fetch_optional(&mut *tx)
    .await?;
    let team = match existing {
        Some(team) => team,
        None => insert_team(&mut tx, &team_input).await?,
    };
    let created = insert_user(&mut tx, team.id, &user, &password_hash).await?;
    tx.commit().await?;
    Ok((team, created))
}

pub async fn get_team(pool: &PgPool, team_id: Uuid) -> Result<Team> {
    sqlx::query_as!(
        Team,
        "SELECT id, name, postal_address, created_at FROM teams WHERE id = $1",
        team_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("team"))
}

/// The team's choice for addresses already in another running campaign.
pub async fn leads_in_other_campaigns(pool: &PgPool, team_id: Uuid) -> Result<OtherCampaignLeads> {
    let text =
        sqlx::query_scalar!("SELECT leads_in_other_campaigns FROM teams WHERE id = $1", team_id)
            .fetch_optional(pool)
            .await?
            .ok_or(Error::NotFound("team"))?;
    OtherCampaignLeads::parse(&text)
        .ok_or_else(|| Error::Internal(format!("unknown leads_in_other_campaigns value '{text}'")))
}

/// Changes that choice for the admin's own team; reps are refused.
pub async fn set_leads_in_other_campaigns(
    pool: &PgPool,
    admin: &User,
    policy: OtherCampaignLeads,
) -> Result<OtherCampaignLeads> {
    if !admin.is_admin() {
        return Err(Error::Forbidden("only team admins can change this setting".into()));
    }
    sqlx::query!(
        "UPDATE teams SET leads_in_other_campaigns = $2 WHERE id = $1",
        admin.team_id,
        policy.as_str()
    )
    .execute(pool)
    .await?;
    Ok(policy)
}

pub async fn update_team(pool: &PgPool, team_id: Uuid, changes: NewTeam) -> Result<Team> {
    let changes = validate_team(changes)?;
    sqlx::query_as!(
        Team,
        "UPDATE teams SET name = $2, postal_address = $3 WHERE id = $1
         RETURNING id, name, postal_address, created_at",
        team_id,
        changes.team_name,
        changes.postal_address
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("team"))
}

/// The signed-in user behind a session. Not team-scoped: the session *is* what tells us the
/// team. `None` when the user was removed or their password changed since (`epoch`).
pub async fn user_for_session(pool: &PgPool, user_id: Uuid, epoch: i32) -> Result<Option<User>> {
    Ok(sqlx::query_as!(
        User,
        r#"SELECT id, team_id, email, name, role AS "role: Role", time_zone, created_at
           FROM users WHERE id = $1 AND session_epoch = $2"#,
        user_id,
        epoch
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn list_users(pool: &PgPool, team_id: Uuid) -> Result<Vec<User>> {
    Ok(sqlx::query_as!(
        User,
        r#"SELECT id, team_id, email, name, role AS "role: Role", time_zone, created_at
           FROM users WHERE team_id = $1 ORDER BY role, lower(name), email"#,
        team_id
    )
    .fetch_all(pool)
    .await?)
}

pub async fn get_user(pool: &PgPool, team_id: Uuid, user_id: Uuid) -> Result<User> {
    sqlx::query_as!(
        User,
        r#"SELECT id, team_id, email, name, role AS "role: Role", time_zone, created_at
           FROM users WHERE team_id = $1 AND id = $2"#,
        team_id,
        user_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("user"))
}

/// Adds a user to the caller's team (admins do this from Team & settings).
pub async fn add_user(pool: &PgPool, team_id: Uuid, user: NewUser) -> Result<User> {
    let user = validate_user(user)?;
    let password_hash = hash_password(user.password.clone()).await?;
    let mut tx = pool.begin().await?;
    let created = insert_user(&mut tx, team_id, &user, &password_hash).await?;
    tx.commit().await?;
    Ok(created)
}

/// Removes a user of the caller's team. Nobody removes themselves, and a team keeps at
/// least one admin.
pub async fn remove_user(
    pool: &PgPool,
    team_id: Uuid,
    acting_user: Uuid,
    user_id: Uuid,
) -> Result<()> {
    if acting_user == user_id {
        return Err(Error::Conflict("you cannot remove yourself".into()));
    }
    let mut tx = pool.begin().await?;
    let target = sqlx::query_scalar!(
        r#"SELECT role AS "role: Role" FROM users WHERE team_id = $1 AND id = $2 FOR UPDATE"#,
        team_id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("user"))?;
    if target == Role::Admin {
        let admins = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM users WHERE team_id = $1 AND role = 'admin'"#,
            team_id
        )
        .fetch_one(&mut *tx)
        .await?;
        if admins <= 1 {
            return Err(Error::Conflict("a team needs at least one admin".into()));
        }
    }
    sqlx::query!("DELETE FROM users WHERE team_id = $1 AND id = $2", team_id, user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password and signs the user out of every session.
pub async fn reset_password(
    pool: &PgPool,
    team_id: Uuid,
    user_id: Uuid,
    password: Password,
) -> Result<()> {
    let password_hash = hash_password(password).await?;
    let updated = sqlx::query!(
        "UPDATE users SET password_hash = $3, session_epoch = session_epoch + 1 WHERE team_id = $1 AND id = $2",
        team_id,
        user_id,
        password_hash
    )
    .execute(pool)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound("user"));
    }
    Ok(())
}

/// The epoch a new session of this user must carry.
pub async fn session_epoch(pool: &PgPool, user_id: Uuid) -> Result<i32> {
    sqlx::query_scalar!("SELECT session_epoch FROM users WHERE id = $1", user_id)
        .fetch_optional(pool)
        .await?
        .ok_or(Error::NotFound("user"))
}

struct ValidTeam {
    team_name: String,
    postal_address: String,
}

fn validate_team(team: NewTeam) -> Result<ValidTeam> {
    let team_name = team.team_name.trim().to_string();
    if team_name.is_empty() {
        return Err(Error::invalid("team_name", "the team needs a name"));
    }
    if team_name.chars().count() > 200 {
        return Err(Error::invalid("team_name", "the team name is longer than 200 characters"));
    }
    let postal_address = team.postal_address.trim().to_string();
    if postal_address.chars().count() > 1000 {
        return Err(Error::invalid(
            "postal_address",
            "the postal address is longer than 1000 characters",
        ));
    }
    Ok(ValidTeam { team_name, postal_address })
}

fn validate_user(user: NewUser) -> Result<NewUser> {
    let email = crate::email_address::EmailAddress::parse(&user.email)
        .map_err(|problem| {
            Error::invalid(
                "email",
                format!("'{}' is not a valid email address: {problem}", user.email.trim()),
            )
        })?
        .to_string();
    let name = user.name.trim().to_string();
    if name.chars().count() > 200 {
        return Err(Error::invalid("name", "the name is longer than 200 characters"));
    }
    Ok(NewUser { email, name, ..user })
}

async fn insert_team(tx: &mut sqlx::PgConnection, team: &ValidTeam) -> Result<Team> {
    Ok(sqlx::query_as!(
        Team,
        "INSERT INTO teams (id, name, postal_address) VALUES ($1, $2, $3)
         RETURNING id, name, postal_address, created_at",
        Uuid::new_v4(),
        team.team_name,
        team.postal_address
    )
    .fetch_one(tx)
    .await?)
}

async fn insert_user(
    tx: &mut sqlx::PgConnection,
    team_id: Uuid,
    user: &NewUser,
    password_hash: &str,
) -> Result<User> {
    sqlx::query_as!(
        User,
        r#"INSERT INTO users (id, team_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, team_id, email, name, role AS "role: Role", time_zone, created_at"#,
        Uuid::new_v4(),
        team_id,
        user.email,
        user.name,
        user.role.as_str(),
        password_hash
    )
    .fetch_one(tx)
    .await
    .map_err(Error::from)
    .map_err(|e| {
        if e.violates("users_email_key") {
            Error::invalid("email", format!("a user with the address {} already exists", user.email))
        } else {
            e
        }
    })
}
