"""Each role lands on its own dashboard at `/`; a user with several roles reaches the others."""

import pytest

from portal.models import Role

HEADINGS = {
    Role.ADMIN: "Administration",
    Role.CHAIR: "Committee",
    Role.REVIEWER: "My reviews",
    Role.FINANCE: "Finance",
    Role.APPLICANT: "My library",
}


def test_anonymous_home_is_the_public_front_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Co-financing of public library projects" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_dashboard(client, create_user, login_as, role):
    login_as(create_user(role))
    html = client.get("/").get_data(as_text=True)
    assert "<h1" in html and HEADINGS[role] in html
    for other, heading in HEADINGS.items():
        if other != role:
            assert f">{heading}</h1>" not in html


@pytest.mark.parametrize("role", list(Role))
def test_dashboard_of_a_role_not_held_is_forbidden(client, create_user, login_as, role):
    others = [r for r in Role if r != role]
    login_as(create_user(others[0]))
    assert client.get(f"/dashboard/{role.value}").status_code == 403


def test_dashboard_needs_sign_in(client):
    response = client.get("/dashboard/admin")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_dashboard_is_404(client, create_user, login_as):
    login_as(create_user(Role.ADMIN))
    assert client.get("/dashboard/wizard").status_code == 404


def test_user_with_several_roles_sees_links_to_each(client, create_user, login_as):
    login_as(create_user(Role.CHAIR, Role.REVIEWER))
    html = client.get("/").get_data(as_text=True)
    assert ">Committee</h1>" in html or "Committee</h1>" in html
    assert 'href="/dashboard/reviewer"' in html and 'href="/dashboard/chair"' in html
    assert "My reviews" in client.get("/dashboard/reviewer").get_data(as_text=True)


def test_applicant_dashboard_shows_pending_registration(client, create_user, create_organisation,
                                                         login_as):
    from portal.models import OrganisationStatus

    org = create_organisation(status=OrganisationStatus.PENDING)
    login_as(create_user(Role.APPLICANT, organisation=org))
    html = client.get("/").get_data(as_text=True)
    assert org.short_name in html
    assert "can apply once the registration is approved" in html


def test_user_without_role_is_welcomed(client, create_user, login_as):
    login_as(create_user())
    assert "has no role yet" in client.get("/").get_data(as_text=True)
