import Kernel

/// The auth role's part of its OpenAPI 3.1 document. Paths are relative to `/api/v1/auth`;
/// a test holds this list to the routes the role actually registers.
enum AuthOpenAPI {
    static func paths() throws -> JSONValue { try JSONValue(jsonString: pathsJSON) }
    static func components() throws -> JSONValue { try JSONValue(jsonString: componentsJSON) }

    private static let pathsJSON = #"""
        {
          "/login": {
            "post": {
              "summary": "Exchange username and password for an access and a refresh token",
              "operationId": "login",
              "requestBody": {
                "required": true,
                "content": {
                  "application/json": {"schema": {"$ref": "#/components/schemas/LoginRequest"}},
                  "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/LoginRequest"}}
                }
              },
              "responses": {
                "200": {"description": "Tokens", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenPair"}}}},
                "401": {"description": "Wrong username or password (the same answer for both)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "415": {"description": "Body is neither JSON nor a form", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "A field is missing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Too many failed logins for this username from this address; see Retry-After", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "503": {"description": "Too many password checks in progress; see Retry-After", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/refresh": {
            "post": {
              "summary": "Rotate a refresh token: the old one stops working; reusing it revokes the whole login",
              "operationId": "refresh",
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshRequest"}}}},
              "responses": {
                "200": {"description": "New tokens", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenPair"}}}},
                "401": {"description": "Invalid, expired, revoked or reused refresh token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/logout": {
            "post": {
              "summary": "Revoke the login (token family) a refresh token belongs to",
              "operationId": "logout",
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshRequest"}}}},
              "responses": {
                "204": {"description": "Logged out"},
                "401": {"description": "Invalid refresh token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/me": {
            "get": {
              "summary": "The signed-in account",
              "operationId": "me",
              "security": [{"bearerAuth": []}],
              "responses": {
                "200": {"description": "Account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                "401": {"description": "Missing or invalid access token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/revocations": {
            "get": {
              "summary": "Accounts whose access tokens were revoked (disabled, demoted, new password): the feed other mlopsd processes follow",
              "operationId": "revocations",
              "security": [{"bearerAuth": []}],
              "parameters": [{"name": "since", "in": "query", "required": false, "description": "Seconds since 1970; only later revocations", "schema": {"type": "number"}}],
              "responses": {
                "200": {"description": "Revocations", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RevocationFeed"}}}},
                "401": {"description": "Missing or invalid service token (minted by mlopsd processes with the shared secret)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "since is not a number", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/me/password": {
            "post": {
              "summary": "Change the signed-in account's password; every session, this one included, is revoked",
              "operationId": "changePassword",
              "security": [{"bearerAuth": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChangePasswordRequest"}}}},
              "responses": {
                "204": {"description": "Changed"},
                "401": {"description": "Missing or invalid access token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "Current password wrong or new password too short", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Too many wrong current passwords; see Retry-After", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "503": {"description": "Too many password checks in progress; see Retry-After", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/users": {
            "get": {
              "summary": "List accounts (admin)",
              "operationId": "listUsers",
              "security": [{"bearerAuth": []}],
              "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}
              ],
              "responses": {
                "200": {"description": "A page of accounts", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserPage"}}}},
                "401": {"description": "Missing or invalid access token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "403": {"description": "Not an admin", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            },
            "post": {
              "summary": "Create an account (admin)",
              "operationId": "createUser",
              "security": [{"bearerAuth": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateUserRequest"}}}},
              "responses": {
                "201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                "401": {"description": "Missing or invalid access token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "403": {"description": "Not an admin", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "409": {"description": "Username taken", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "Invalid field", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/users/{username}": {
            "parameters": [{"name": "username", "in": "path", "required": true, "schema": {"type": "string"}}],
            "get": {
              "summary": "One account (admin)",
              "operationId": "showUser",
              "security": [{"bearerAuth": []}],
              "responses": {
                "200": {"description": "Account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                "404": {"description": "No such account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            },
            "patch": {
              "summary": "Change an account's email, role, disabled flag or password (admin); its sessions are revoked",
              "operationId": "updateUser",
              "security": [{"bearerAuth": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UpdateUserRequest"}}}},
              "responses": {
                "200": {"description": "Account after the change", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                "404": {"description": "No such account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "409": {"description": "An admin tried to disable or demote themself", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "Invalid field", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          }
        }
        """#

    private static let componentsJSON = #"""
        {
          "schemas": {
            "RevocationFeed": {
              "type": "object",
              "required": ["revocations"],
              "properties": {
                "revocations": {"type": "array", "items": {
                  "type": "object", "required": ["username", "revoked_at"],
                  "properties": {"username": {"type": "string"}, "revoked_at": {"type": "number", "description": "Seconds since 1970: tokens issued until then are revoked"}}
                }}
              }
            },
            "LoginRequest": {
              "type": "object", "required": ["username", "password"],
              "properties": {"username": {"type": "string"}, "password": {"type": "string", "format": "password"}, "grant_type": {"type": "string", "enum": ["password"]}}
            },
            "RefreshRequest": {"type": "object", "required": ["refresh_token"], "properties": {"refresh_token": {"type": "string"}}},
            "TokenPair": {
              "type": "object", "required": ["access_token", "refresh_token", "token_type", "expires_in"],
              "properties": {"access_token": {"type": "string"}, "refresh_token": {"type": "string"}, "token_type": {"type": "string", "const": "bearer"}, "expires_in": {"type": "integer", "description": "Access token lifetime in seconds"}}
            },
            "User": {
              "type": "object",
              "properties": {"username": {"type": "string"}, "email": {"type": "string"}, "role": {"type": "string", "enum": ["admin", "user"]}, "disabled": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}
            },
            "UserPage": {
              "type": "object",
              "properties": {"users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}, "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}
            },
            "CreateUserRequest": {
              "type": "object", "required": ["username", "password", "email"],
              "properties": {"username": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$"}, "password": {"type": "string", "minLength": 8, "maxLength": 72}, "email": {"type": "string", "format": "email"}, "role": {"type": "string", "enum": ["admin", "user"], "default": "user"}}
            },
            "UpdateUserRequest": {
              "type": "object", "minProperties": 1, "description": "Fields left out or null are not changed; at least one must be given",
              "properties": {"email": {"type": ["string", "null"], "format": "email"}, "role": {"enum": ["admin", "user", null]}, "disabled": {"type": ["boolean", "null"]}, "password": {"type": ["string", "null"], "minLength": 8, "maxLength": 72}}
            },
            "ChangePasswordRequest": {
              "type": "object", "required": ["current_password", "new_password"],
              "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string", "minLength": 8, "maxLength": 72}}
            }
          }
        }
        """#
}
