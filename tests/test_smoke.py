from portal.models import Role


def test_admin_sees_users(client, create_user, login_as):
    admin = create_user(Role.ADMIN)
    login_as(admin)
    response = client.get("/admin/users")
    assert response.status_code == 200
    assert admin.email in response.get_data(as_text=True)
